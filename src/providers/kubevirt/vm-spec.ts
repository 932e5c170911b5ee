// The objects one create sends (pure: no I/O):
// - the cloud-init Secret `<vm>-cloudinit` (key userdata), labelled and
//   annotated like the VM;
// - the VirtualMachine (kubevirt.io/v1, runStrategy Always): CPU cores and
//   guest memory, a root disk and a `cloudinitdisk` whose cloudInitNoCloud
//   volume names the Secret, the pod network (masquerade) or a Multus
//   NetworkAttachmentDefinition (bridge), the server hostname as the guest's
//   hostname. Root disk by boot source:
//     container_disk → a containerDisk volume (ephemeral);
//     http/registry/pvc → a CDI DataVolume in dataVolumeTemplates (owned by
//       the VM, so garbage-collected with it);
//     Harvester image → as Harvester's UI does: the VM annotation
//       `harvesterhci.io/volumeClaimTemplates` holds the root PVC, annotated
//       `harvesterhci.io/imageId: <ns>/<image>` in the image's storage class
//       (`longhorn-<image>`); Harvester's VM controller creates the PVC and
//       poolform deletes it explicitly on destroy (it has no owner reference).
// Labels: ownership labels on the VM, the template (so the VMI carries them:
// observe lists VMIs with the same selector), the DataVolume / PVC and the Secret.
import type { VmCreateRequest } from '../types.ts';
import { ownershipAnnotations, ownershipLabels, rootDiskName, secretName } from './labels.ts';
import type { KubevirtSettings } from './settings.ts';
import type { OwnerReference, Secret, VirtualMachine } from './types.ts';
import { USER_DATA_KEY } from './user-data.ts';

export const HARVESTER_IMAGE_ID = 'harvesterhci.io/imageId';
export const HARVESTER_VOLUME_CLAIM_TEMPLATES = 'harvesterhci.io/volumeClaimTemplates';

/** Whether a string may be a guest hostname (a DNS-1123 label). */
const isDnsLabel = (s: string): boolean => s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);

export function secretBody(settings: KubevirtSettings, request: VmCreateRequest, vm: string, userData: string, owner?: OwnerReference): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretName(vm),
      namespace: settings.namespace,
      labels: ownershipLabels(settings.name, request, settings.labels),
      annotations: ownershipAnnotations(settings.name, request),
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
    type: 'Opaque',
    data: { [USER_DATA_KEY]: Buffer.from(userData, 'utf8').toString('base64') },
  };
}

export interface VmSpecExtras {
  /** Harvester: the image's storage class (from its status), else `longhorn-<image name>`. */
  storageClass?: string;
}

export function vmBody(settings: KubevirtSettings, request: VmCreateRequest, vm: string, extras: VmSpecExtras = {}): VirtualMachine {
  const labels = ownershipLabels(settings.name, request, settings.labels);
  const annotations: Record<string, string> = ownershipAnnotations(settings.name, request);
  const disk = rootDiskName(vm);
  const storage = (): Record<string, unknown> => ({
    ...(settings.storageClass !== undefined ? { storageClassName: settings.storageClass } : {}),
    ...(settings.diskSize !== undefined ? { resources: { requests: { storage: settings.diskSize } } } : {}),
  });
  let rootVolume: Record<string, unknown>;
  const dataVolumeTemplates: unknown[] = [];
  const boot = settings.boot;
  switch (boot.kind) {
    case 'container_disk':
      rootVolume = { name: 'rootdisk', containerDisk: { image: boot.image } };
      break;
    case 'http':
    case 'registry':
    case 'pvc': {
      const source = boot.kind === 'pvc' ? { pvc: { namespace: boot.namespace, name: boot.name } } : { [boot.kind]: { url: boot.url } };
      dataVolumeTemplates.push({ metadata: { name: disk, labels }, spec: { source, storage: storage() } });
      rootVolume = { name: 'rootdisk', dataVolume: { name: disk } };
      break;
    }
    case 'harvester_image': {
      const storageClassName = settings.storageClass ?? extras.storageClass ?? `longhorn-${boot.name}`;
      annotations[HARVESTER_VOLUME_CLAIM_TEMPLATES] = JSON.stringify([
        {
          metadata: { name: disk, labels, annotations: { [HARVESTER_IMAGE_ID]: `${boot.namespace}/${boot.name}` } },
          spec: {
            accessModes: ['ReadWriteMany'],
            volumeMode: 'Block',
            storageClassName,
            resources: { requests: { storage: settings.diskSize ?? '40Gi' } },
          },
        },
      ]);
      rootVolume = { name: 'rootdisk', persistentVolumeClaim: { claimName: disk } };
      break;
    }
  }
  const network = settings.network;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: vm, namespace: settings.namespace, labels, annotations },
    spec: {
      runStrategy: 'Always',
      ...(dataVolumeTemplates.length > 0 ? { dataVolumeTemplates } : {}),
      template: {
        metadata: { labels, annotations: ownershipAnnotations(settings.name, request) },
        spec: {
          ...(isDnsLabel(request.hostname) ? { hostname: request.hostname } : {}),
          domain: {
            cpu: { cores: settings.cpuCores },
            memory: { guest: settings.memory },
            devices: {
              disks: [
                { name: 'rootdisk', disk: { bus: 'virtio' }, bootOrder: 1 },
                { name: 'cloudinitdisk', disk: { bus: 'virtio' } },
              ],
              interfaces: [network ? { name: 'default', bridge: {}, model: 'virtio' } : { name: 'default', masquerade: {} }],
            },
          },
          networks: [network ? { name: 'default', multus: { networkName: `${network.namespace}/${network.name}` } } : { name: 'default', pod: {} }],
          volumes: [rootVolume, { name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: secretName(vm) } } }],
        },
      },
    },
  };
}
