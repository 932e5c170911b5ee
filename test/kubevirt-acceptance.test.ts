// Acceptance test against a real KubeVirt cluster: the shared conformance
// suite through the KubeVirt provider (small containerDisk VMs; every VM it
// makes it deletes). Runs only with POOLFORM_ACC_KUBEVIRT=1 and KUBECONFIG (a
// kubeconfig file), optional POOLFORM_ACC_KUBEVIRT_NAMESPACE (default
// `default`), POOLFORM_ACC_KUBEVIRT_IMAGE (default
// quay.io/containerdisks/fedora:40), as docs/providers/kubevirt.md describes;
// skipped otherwise, with the reason in the suite's name.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { createKubevirtVmProvider } from '../src/providers/kubevirt/index.ts';

const env = process.env;
const enabled = env['POOLFORM_ACC_KUBEVIRT'] === '1' && Boolean(env['KUBECONFIG']);
const reason =
  env['POOLFORM_ACC_KUBEVIRT'] !== '1'
    ? 'skipped: set POOLFORM_ACC_KUBEVIRT=1 and KUBECONFIG to run against a real KubeVirt cluster'
    : 'skipped: POOLFORM_ACC_KUBEVIRT=1 but KUBECONFIG (a kubeconfig file) is not set';

if (enabled) {
  defineVmProviderConformance(
    'kubevirt (real cluster)',
    async () => ({
      client: createKubevirtVmProvider({
        config: {
          kind: 'VmProvider',
          name: 'acc-kubevirt',
          type: 'kubevirt',
          max_instances: 4,
          kubeconfig: '(resolved)',
          namespace: env['POOLFORM_ACC_KUBEVIRT_NAMESPACE'] ?? 'default',
          boot_source: { container_disk: env['POOLFORM_ACC_KUBEVIRT_IMAGE'] ?? 'quay.io/containerdisks/fedora:40' },
          cpu_cores: 1,
          memory: '1Gi',
          startup_script: '#cloud-config\nruncmd: [echo poolform-acceptance]\n',
        },
        secrets: { kubeconfig: readFileSync(env['KUBECONFIG']?.split(':')[0] ?? '', 'utf8') },
        runningTimeoutMs: 10 * 60_000,
      }),
    }),
    { timeout: 15 * 60_000 },
  );
} else {
  describe.skip(`KubeVirt acceptance (real cluster) — ${reason}`, () => {
    it('runs the VM provider conformance suite against the cluster', () => {});
  });
}
