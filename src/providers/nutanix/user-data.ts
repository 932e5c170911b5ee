// Startup-script delivery on Nutanix AHV (providers.md §2 / §3.7): at
// creation only, as `guest_customization.cloud_init.user_data` (base64; run
// by cloud-init from the config drive AHV attaches) on Linux, or as
// `guest_customization.sysprep.unattend_xml` (base64, install_type PREPARED)
// on Windows. Nutanix documents no size limit for either (checked in the v3
// API reference: none stated); poolform sets its own, 64 KiB of rendered
// script before base64, the common cloud bound (Azure, OpenStack,
// DigitalOcean), so a script that works here also fits elsewhere. Checked at
// validate time with worst-case values (config/rules/startup-script.ts) and
// again before any API call on the script actually rendered.
import { NUTANIX_USER_DATA_LIMIT } from '../../template/worst-case.ts';
import { assertScriptFits } from '../shared/script-size.ts';

export const USER_DATA_MAX_BYTES = NUTANIX_USER_DATA_LIMIT;

export function assertUserDataFits(providerName: string, script: string): void {
  assertScriptFits(`VmProvider ${providerName}`, script, {
    bytes: USER_DATA_MAX_BYTES,
    what: 'poolform for Nutanix guest customization',
    note: '(64 KiB before base64; Nutanix documents no limit)',
  });
}

/** The guest_customization block of a create. */
export function guestCustomization(guestOs: 'linux' | 'windows', script: string, hostname: string): Record<string, unknown> {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  if (guestOs === 'windows') return { sysprep: { install_type: 'PREPARED', unattend_xml: b64(script) } };
  // meta_data gives cloud-init the guest's hostname (the VM name is poolform's deterministic one).
  return { cloud_init: { user_data: b64(script), meta_data: b64(JSON.stringify({ hostname, 'local-hostname': hostname })) } };
}
