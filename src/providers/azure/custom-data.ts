// Startup-script delivery: osProfile.customData, base64. Azure's limit (VM
// API, OSProfile.customData): "The base-64 encoded string is decoded to a
// binary array ... The maximum length of the binary array is 65535 bytes", i.e.
// at most 87,380 base64 characters. Checked at validate time on the rendered
// script with worst-case variable values (config/rules/startup-script.ts), and
// again before any Azure call on the script actually rendered.
import { assertScriptFits, scriptBytes } from '../shared/script-size.ts';

export const CUSTOM_DATA_MAX_BYTES = 65_535;

export function customDataBytes(script: string): number {
  return scriptBytes(script);
}

export function encodeCustomData(script: string): string {
  return Buffer.from(script, 'utf8').toString('base64');
}

/** Throws `user-data-too-large` (nothing created) when the rendered script does not fit (shared check: providers/shared/script-size.ts). */
export function assertCustomDataFits(providerName: string, script: string): void {
  assertScriptFits(`VmProvider ${providerName}`, script, { bytes: CUSTOM_DATA_MAX_BYTES, what: 'Azure customData', note: '(before base64)' });
}
