// Startup-script delivery: the server's `user_data`, base64. Nova's request
// schema (compute/schemas/servers.py, server create) gives user_data
// `{'format': 'base64', 'maxLength': 65535}`: the limit is on the *encoded*
// string, so the rendered script may hold at most 49,149 bytes
// (4 * ceil(49149 / 3) = 65,532 ≤ 65,535 < 65,536 = 4 * ceil(49150 / 3)).
// Checked at validate time with worst-case values (config/rules/startup-script.ts)
// and again before any API call on the script actually rendered.
import { assertScriptFits } from '../shared/script-size.ts';

export const USER_DATA_MAX_BASE64_CHARS = 65_535;
export const USER_DATA_MAX_BYTES = 49_149;

export function encodeUserData(script: string): string {
  return Buffer.from(script, 'utf8').toString('base64');
}

export function assertUserDataFits(providerName: string, script: string): void {
  assertScriptFits(`VmProvider ${providerName}`, script, {
    bytes: USER_DATA_MAX_BYTES,
    what: 'Nova user_data',
    note: `(${USER_DATA_MAX_BASE64_CHARS} characters once base64-encoded)`,
  });
}
