// Startup-script delivery on vSphere: CloudinitPrep guest customization
// (vSphere 7.0U3+; `PUT /api/vcenter/vm/{vm}/guest/customization` with
// configuration_spec.cloud_config {type: CLOUDINIT, cloudinit: {metadata,
// userdata}}), applied by cloud-init's VMware datasource at first boot. The
// userdata is plain text of at most 524,288 bytes (vSphere Automation API,
// Vcenter Guest CloudinitConfiguration: "userdata ... limited to 512KB";
// providers.md §2). Checked on the rendered script before any call.
import { assertScriptFits } from '../shared/script-size.ts';

export const USERDATA_MAX_BYTES = 524_288;

export function assertUserDataFits(providerName: string, script: string): void {
  assertScriptFits(`VmProvider ${providerName}`, script, { bytes: USERDATA_MAX_BYTES, what: 'vSphere CloudinitPrep userdata' });
}

/** cloud-init meta-data for the VM (instance id = VM name, hostname). JSON is valid YAML. */
export function cloudInitMetadata(vmName: string, hostname: string): string {
  return JSON.stringify({ 'instance-id': vmName, 'local-hostname': hostname, hostname });
}
