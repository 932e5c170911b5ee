// Acceptance test against a real Harvester cluster: the shared conformance
// suite through the Harvester provider (VMs from an existing image; every VM
// and root PVC it makes it deletes). Runs only with POOLFORM_ACC_HARVESTER=1,
// KUBECONFIG (the dashboard's kubeconfig file) and POOLFORM_ACC_HARVESTER_IMAGE
// (a VirtualMachineImage as namespace/name); optional
// POOLFORM_ACC_HARVESTER_NAMESPACE (default `default`) and
// POOLFORM_ACC_HARVESTER_NETWORK (namespace/name), as docs/providers/harvester.md
// describes; skipped otherwise, with the reason in the suite's name.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { createHarvesterVmProvider } from '../src/providers/harvester/index.ts';
import { acceptanceGate } from './support/acceptance.ts';

const env = process.env;
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_HARVESTER',
  ['KUBECONFIG', 'POOLFORM_ACC_HARVESTER_IMAGE'],
  'skipped: set POOLFORM_ACC_HARVESTER=1, KUBECONFIG and POOLFORM_ACC_HARVESTER_IMAGE to run against a real Harvester cluster',
);

if (enabled) {
  defineVmProviderConformance(
    'harvester (real cluster)',
    async () => ({
      client: createHarvesterVmProvider({
        config: {
          kind: 'VmProvider',
          name: 'acc-harvester',
          type: 'harvester',
          max_instances: 4,
          kubeconfig: '(resolved)',
          namespace: env['POOLFORM_ACC_HARVESTER_NAMESPACE'] ?? 'default',
          image: env['POOLFORM_ACC_HARVESTER_IMAGE'] ?? '',
          disk_size: '10Gi',
          cpu_cores: 1,
          memory: '1Gi',
          ...(env['POOLFORM_ACC_HARVESTER_NETWORK'] ? { network: env['POOLFORM_ACC_HARVESTER_NETWORK'] } : {}),
          startup_script: '#cloud-config\npackages: [qemu-guest-agent]\nruncmd: [systemctl enable --now qemu-guest-agent]\n',
        },
        secrets: { kubeconfig: readFileSync(env['KUBECONFIG']?.split(':')[0] ?? '', 'utf8') },
        runningTimeoutMs: 15 * 60_000,
      }),
    }),
    { timeout: 20 * 60_000 },
  );
} else {
  describe.skip(`Harvester acceptance (real cluster) — ${reason}`, () => {
    it('runs the VM provider conformance suite against the cluster', () => {});
  });
}
