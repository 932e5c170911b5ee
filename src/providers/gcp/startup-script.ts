// Startup-script delivery: an instance metadata item. Linux images' guest
// environment runs `startup-script` at every boot; Windows images run
// `windows-startup-script-ps1`. Compute's limits (Metadata.items[] in the
// Compute v1 reference): each value at most 262,144 bytes (256 KiB), all keys
// and values together under 512 KB. Checked at validate time on the script
// rendered with worst-case values (config/rules/startup-script.ts and gcp.ts)
// and again before any API call on the script actually rendered.
import type { GcpVmProvider } from '../../generated/config.ts';
import { assertScriptFits } from '../shared/script-size.ts';

export const METADATA_VALUE_MAX_BYTES = 262_144;
export const METADATA_TOTAL_MAX_BYTES = 512 * 1024;

export function startupScriptKey(config: Pick<GcpVmProvider, 'os_type'>): string {
  return config.os_type === 'windows' ? 'windows-startup-script-ps1' : 'startup-script';
}

export function assertStartupScriptFits(config: GcpVmProvider, script: string): void {
  assertScriptFits(`VmProvider ${config.name}`, script, { bytes: METADATA_VALUE_MAX_BYTES, what: `GCP metadata value ${startupScriptKey(config)}` });
}

/** Bytes of the extra metadata items (keys + values), for the 512 KB total. */
export function extraMetadataBytes(config: Pick<GcpVmProvider, 'metadata'>): number {
  let total = 0;
  for (const [k, v] of Object.entries(config.metadata ?? {})) total += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v ?? '', 'utf8');
  return total;
}
