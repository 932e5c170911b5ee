// The check every cloud provider makes before handing a rendered startup
// script to the cloud: its size in UTF-8 bytes against the cloud's documented
// limit. Validate checks the worst-case rendering earlier
// (config/rules/startup-script.ts); this is the last line before any API call,
// on the script actually rendered, and says that nothing was created.
import { PoolformError } from '../../util/errors.ts';

export function scriptBytes(script: string): number {
  return Buffer.byteLength(script, 'utf8');
}

export interface ScriptLimit {
  /** Largest allowed size in bytes. */
  bytes: number;
  /** What carries the script, for the message, e.g. `Azure customData` or `GCP metadata value startup-script`. */
  what: string;
  /** Words after the limit, e.g. `(before base64)`. */
  note?: string;
}

/** Throws `user-data-too-large` (nothing created) when the rendered script does not fit. */
export function assertScriptFits(where: string, script: string, limit: ScriptLimit): void {
  const bytes = scriptBytes(script);
  if (bytes > limit.bytes) {
    throw new PoolformError(
      'user-data-too-large',
      `${where}: the rendered startup script is ${bytes} bytes; ${limit.what} allows ${limit.bytes} bytes${limit.note ? ` ${limit.note}` : ''}`,
      { details: { bytes, limit: limit.bytes, nothing_created: true } },
    );
  }
}
