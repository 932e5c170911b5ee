// The shared VM provider conformance suite for Harvester against the fake
// Kubernetes API: the root disk is a PVC from a VirtualMachineImage (made by
// the emulated Harvester controller from the volumeClaimTemplates
// annotation, no owner reference), so destroy must delete it by name: the
// leftovers() check proves no PVC, Secret or VMI outlives its VM.
import { afterAll, beforeAll, expect } from 'vitest';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { createHarvesterVmProvider } from '../src/providers/harvester/index.ts';
import { harvesterConfig, kubeconfigFor, leftoversOf, NAMESPACE, startSecureFakeKube } from './fakes/kubernetes/harness.ts';
import type { FakeKube } from './fakes/kubernetes/server.ts';

let fake: FakeKube;
beforeAll(async () => {
  fake = await startSecureFakeKube();
  fake.put('harvesterhci.io', 'v1beta1', 'virtualmachineimages', {
    metadata: { name: 'image-ubuntu', namespace: 'default' },
    spec: { displayName: 'ubuntu-24.04', sourceType: 'download', url: 'https://images.example.com/ubuntu.img' },
    status: { progress: 100, storageClassName: 'longhorn-image-ubuntu' },
  });
  fake.put('k8s.cni.cncf.io', 'v1', 'network-attachment-definitions', {
    metadata: { name: 'vlan100', namespace: 'default' },
    spec: { config: '{"cniVersion":"0.3.1","name":"vlan100","type":"bridge","bridge":"mgmt-br","vlan":100}' },
  });
});
afterAll(async () => {
  await fake.close();
});

const instant = async (): Promise<void> => {};

defineVmProviderConformance('harvester (fake Kubernetes API)', async () => ({
  client: createHarvesterVmProvider({
    config: harvesterConfig(),
    secrets: { kubeconfig: kubeconfigFor(fake) },
    sleep: instant,
    pollIntervalMs: 1,
    snapshotMaxAgeMs: 0,
    retry: { sleep: instant },
  }),
  async createForeign() {
    // A VM someone made in the Harvester UI: no poolform markers.
    const vm = fake.put('kubevirt.io', 'v1', 'virtualmachines', {
      metadata: { name: `ui-${Math.random().toString(16).slice(2, 10)}`, namespace: NAMESPACE, labels: { 'harvesterhci.io/creator': 'harvester' } },
      spec: { runStrategy: 'Always', template: { metadata: { labels: { 'harvesterhci.io/vmName': 'ui' } }, spec: {} } },
    });
    return { provider_id: vm.metadata.name };
  },
  leftovers: async (vm) => {
    // While it lived, the VM had its root PVC from the image (checked here so the suite proves the Harvester path ran).
    expect(vm.provider_id).toMatch(/^pf-[0-9a-f]{20}$/);
    return leftoversOf(fake, vm.provider_id);
  },
}));
