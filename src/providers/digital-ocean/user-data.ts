// Startup-script delivery: the droplet's `user_data` (plain text, run by
// cloud-init on first boot). DigitalOcean's limit (Droplets - Create a New
// Droplet, `user_data`): "limited to 64 KiB in size", i.e. 65,536 bytes.
// Checked at validate time on the script rendered with worst-case values
// (config/rules/startup-script.ts) and again here before any API call.
import { DO_USER_DATA_LIMIT } from '../../template/worst-case.ts';
import { assertScriptFits } from '../shared/script-size.ts';

export const USER_DATA_MAX_BYTES = DO_USER_DATA_LIMIT;

/** Throws `user-data-too-large` (nothing created) when the rendered script does not fit. */
export function assertUserDataFits(providerName: string, script: string): void {
  assertScriptFits(`VmProvider ${providerName}`, script, { bytes: USER_DATA_MAX_BYTES, what: 'DigitalOcean user_data' });
}
