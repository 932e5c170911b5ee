// The shared VM provider conformance suite for KubeVirt, against the fake
// Kubernetes API (test/fakes/kubernetes) through @kubernetes/client-node:
// DataVolume boot (http_url), the cloud-init Secret owned by the VM, and no
// leftovers (VMI, DataVolume, Secret) after destroy.
import { afterAll, beforeAll } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { createKubevirtVmProvider } from '../src/providers/kubevirt/index.ts';
import { kubeconfigFor, kubevirtConfig, leftoversOf, NAMESPACE, startSecureFakeKube } from './fakes/kubernetes/harness.ts';
import type { FakeKube } from './fakes/kubernetes/server.ts';

let fake: FakeKube;
beforeAll(async () => {
  fake = await startSecureFakeKube();
});
afterAll(async () => {
  await fake.close();
});

const instant = async (): Promise<void> => {};

defineVmProviderConformance('kubevirt (fake Kubernetes API)', async () => ({
  client: createKubevirtVmProvider({
    config: kubevirtConfig(),
    secrets: { kubeconfig: kubeconfigFor(fake) },
    sleep: instant,
    pollIntervalMs: 1,
    snapshotMaxAgeMs: 0,
    retry: { sleep: instant },
  }),
  async createForeign() {
    const vm = fake.put('kubevirt.io', 'v1', 'virtualmachines', {
      metadata: { name: `foreign-${Math.random().toString(16).slice(2, 10)}`, namespace: NAMESPACE, labels: { app: 'other' } },
      spec: { runStrategy: 'Always', template: { metadata: { labels: { app: 'other' } }, spec: {} } },
    });
    return { provider_id: vm.metadata.name };
  },
  leftovers: async (vm) => leftoversOf(fake, vm.provider_id),
}));
