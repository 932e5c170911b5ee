// The settings the shared KubeVirt code works from, made from either a
// `kubevirt` or a `harvester` VmProvider config. What differs for Harvester
// is only the boot disk (a VirtualMachineImage instead of boot_source) and
// the wording of messages.
import type { HarvesterVmProvider, KubevirtVmProvider } from '../../generated/config.ts';

export type KubevirtLikeConfig = KubevirtVmProvider | HarvesterVmProvider;

export type BootDisk =
  | { kind: 'container_disk'; image: string }
  | { kind: 'http'; url: string }
  | { kind: 'registry'; url: string }
  | { kind: 'pvc'; namespace: string; name: string }
  /** Harvester: a VirtualMachineImage; storage class resolved from the image at create time. */
  | { kind: 'harvester_image'; namespace: string; name: string };

export interface KubevirtSettings {
  /** `kubevirt` or `harvester`. */
  type: 'kubevirt' | 'harvester';
  name: string;
  namespace: string;
  maxInstances: number;
  boot: BootDisk;
  storageClass?: string;
  diskSize?: string;
  cpuCores: number;
  memory: string;
  /** undefined: the pod network. */
  network?: { namespace: string; name: string };
  sshKey?: string;
  labels: Record<string, string>;
}

const splitRef = (ref: string): { namespace: string; name: string } => {
  const [namespace = '', name = ''] = ref.split('/');
  return { namespace, name };
};

/** The boot disk of a `kubevirt` boot_source (the schema allows exactly one key). */
function bootOf(source: KubevirtVmProvider['boot_source']): BootDisk {
  if (source.container_disk !== undefined) return { kind: 'container_disk', image: source.container_disk };
  if (source.http_url !== undefined) return { kind: 'http', url: source.http_url };
  if (source.registry_url !== undefined) return { kind: 'registry', url: source.registry_url };
  if (source.pvc_clone !== undefined) return { kind: 'pvc', ...splitRef(source.pvc_clone) };
  throw new Error('boot_source has none of container_disk, http_url, registry_url, pvc_clone');
}

export function settingsOf(config: KubevirtLikeConfig): KubevirtSettings {
  const boot: BootDisk = config.type === 'harvester' ? { kind: 'harvester_image', ...splitRef(config.image) } : bootOf(config.boot_source);
  return {
    type: config.type,
    name: config.name,
    namespace: config.namespace,
    maxInstances: config.max_instances,
    boot,
    ...(config.storage_class !== undefined ? { storageClass: config.storage_class } : {}),
    ...(config.disk_size !== undefined ? { diskSize: config.disk_size } : config.type === 'harvester' ? { diskSize: '40Gi' } : {}),
    cpuCores: config.cpu_cores,
    memory: config.memory,
    ...(config.network !== undefined && config.network !== 'pod' ? { network: splitRef(config.network) } : {}),
    ...(config.ssh_key !== undefined ? { sshKey: config.ssh_key } : {}),
    labels: Object.fromEntries(Object.entries(config.labels ?? {}).filter((e): e is [string, string] => e[1] !== undefined)),
  };
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes of a Kubernetes quantity (`4Gi`, `512Mi`, `2G`); undefined when unreadable. */
export function quantityBytes(quantity: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(quantity);
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1);
}
