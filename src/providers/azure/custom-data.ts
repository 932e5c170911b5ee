// Startup-script delivery: osProfile.customData, base64. Azure's limit (VM
// API, OSProfile.customData): "The base-64 encoded string is decoded to a
// binary array ... The maximum length of the binary array is 65535 bytes", i.e.
// at most 87,380 base64 characters. Checked at validate time on the rendered
// script with worst-case variable values (config/rules/startup-script.ts), and
// again before any Azure call on the script actually rendered.
import { PoolformError } from '../../util/errors.ts';

export const CUSTOM_DATA_MAX_BYTES = 65_535;

export function customDataBytes(script: string): number {
  return Buffer.byteLength(script, 'utf8');
}

export function encodeCustomData(script: string): string {
  return Buffer.from(script, 'utf8').toString('base64');
}

/** Throws `user-data-too-large` (nothing created) when the rendered script does not fit. */
export function assertCustomDataFits(providerName: string, script: string): void {
  const bytes = customDataBytes(script);
  if (bytes > CUSTOM_DATA_MAX_BYTES) {
    throw new PoolformError(
      'user-data-too-large',
      `VmProvider ${providerName}: the rendered startup script is ${bytes} bytes; Azure customData allows ${CUSTOM_DATA_MAX_BYTES} bytes (before base64)`,
      { details: { bytes, limit: CUSTOM_DATA_MAX_BYTES, nothing_created: true } },
    );
  }
}
