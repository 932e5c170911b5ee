// Harvester VM provider (`VmProvider` type `harvester`): KubeVirt underneath,
// so the KubeVirt code does the work (providers/kubevirt/). What differs, and
// where it lives:
// - the root disk comes from a Harvester VirtualMachineImage
//   (harvesterhci.io/v1beta1, `image: ns/name`), looked up before each create
//   for its storage class (status.storageClassName, else `longhorn-<name>`)
//   and written as Harvester's UI does: the `harvesterhci.io/volumeClaimTemplates`
//   annotation with a PVC annotated `harvesterhci.io/imageId` (kubevirt/vm-spec.ts);
// - that PVC has no owner reference, so destroy deletes it by name (kubevirt/provider.ts);
// - `network` is a Harvester VM network: a VLAN NetworkAttachmentDefinition
//   (k8s.cni.cncf.io/v1), bridge binding;
// - the kubeconfig comes from the Harvester dashboard.
import type { HarvesterVmProvider } from '../../generated/config.ts';
import { createKubevirtVmProvider, type KubevirtVmProviderOptions } from '../kubevirt/index.ts';
import type { VmProviderClient } from '../types.ts';

export interface HarvesterVmProviderOptions extends Omit<KubevirtVmProviderOptions, 'config'> {
  config: HarvesterVmProvider;
}

export function createHarvesterVmProvider(options: HarvesterVmProviderOptions): VmProviderClient {
  return createKubevirtVmProvider(options);
}
