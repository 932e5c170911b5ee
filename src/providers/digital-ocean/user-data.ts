// Startup-script delivery: the droplet's `user_data` (plain text, run by
// cloud-init on first boot). DigitalOcean's limit (Droplets - Create a New
// Droplet, `user_data`): "must be plain text and may not exceed 64 KiB in
// size", i.e. 65,536 bytes.
// Checked at validate time on the script rendered with worst-case values
// (config/rules/startup-script.ts) and again here before any API call.
import { assertScriptFits } from '../shared/script-size.ts';

/** Same figure as template/worst-case.ts DO_USER_DATA_LIMIT (validate's check; test/digital-ocean-validate.test.ts holds them equal). */
export const USER_DATA_MAX_BYTES = 64 * 1024;

/** Throws `user-data-too-large` (nothing created) when the rendered script does not fit. */
export function assertUserDataFits(providerName: string, script: string): void {
  assertScriptFits(`VmProvider ${providerName}`, script, { bytes: USER_DATA_MAX_BYTES, what: 'DigitalOcean user_data' });
}
