// The startup script's way into the guest: cloud-init NoCloud user data in a
// Secret (key `userdata`) named by the VM's cloudInitNoCloud.secretRef.
// KubeVirt's admission webhook limits inline userData to 2,048 bytes, so
// poolform always uses a Secret; Kubernetes limits a Secret's data to 1 MiB
// (corev1.MaxSecretSize = 1,048,576 bytes, summed over the decoded values;
// "Secrets: restrictions" in the Kubernetes docs). The user data is the only
// value, so the rendered script may take all of it.
import { assertScriptFits } from '../shared/script-size.ts';

export const USER_DATA_MAX_BYTES = 1024 * 1024;
export const USER_DATA_KEY = 'userdata';

/**
 * The user data: the rendered script, with `ssh_key` added to a
 * `#cloud-config` script as `ssh_authorized_keys` (a shell script is left as
 * it is: cloud-init runs it, and keys are its business). A cloud-config that
 * already has ssh_authorized_keys is left unchanged.
 */
export function userDataOf(script: string, sshKey: string | undefined): string {
  if (sshKey === undefined || !/^#cloud-config\s*\n/.test(script) || /^ssh_authorized_keys\s*:/m.test(script)) return script;
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return `${body}ssh_authorized_keys:\n  - ${JSON.stringify(sshKey)}\n`;
}

export function assertUserDataFits(where: string, userData: string): void {
  assertScriptFits(where, userData, { bytes: USER_DATA_MAX_BYTES, what: 'a Kubernetes Secret (cloud-init NoCloud user data)' });
}
