// The instances.insert body for one server: boot disk from source_image with
// autoDelete (deleted with the instance: no orphaned disks), ownership labels
// on the instance and the disk, the startup script and the exact ownership
// values as metadata items, network interface (+ ephemeral external IP when
// public_ip), network tags and service account. Pure.
import type { protos } from '@google-cloud/compute';
import type { GcpVmProvider } from '../../generated/config.ts';
import type { VmCreateRequest } from '../types.ts';
import { ownershipLabels, ownershipMetadata, OWN_META_KEYS } from './labels.ts';
import { startupScriptKey } from './startup-script.ts';

export type InstanceBody = protos.google.cloud.compute.v1.IInstance;

export const DEFAULT_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

function networkPath(config: GcpVmProvider): string | undefined {
  if (!config.network) return undefined;
  return config.network.includes('/') ? config.network : `global/networks/${config.network}`;
}

export function instanceBody(config: GcpVmProvider, name: string, request: VmCreateRequest): InstanceBody {
  const labels = ownershipLabels(config, request);
  const scriptKey = startupScriptKey(config);
  const reserved = new Set([...OWN_META_KEYS, 'startup-script', 'windows-startup-script-ps1']);
  const extra = Object.entries(config.metadata ?? {})
    .filter(([key]) => !reserved.has(key))
    .map(([key, value]) => ({ key, value }));
  const network = networkPath(config);
  return {
    name,
    description: `poolform server ${request.server_id} (${request.pool}/${request.autoscale})`,
    machineType: `zones/${config.zone}/machineTypes/${config.machine_type}`,
    labels,
    metadata: { items: [...extra, ...ownershipMetadata(config, request), { key: scriptKey, value: request.user_data }] },
    disks: [
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        deviceName: name,
        initializeParams: {
          diskName: name,
          sourceImage: config.source_image,
          labels,
          ...(config.disk_size_gb !== undefined ? { diskSizeGb: String(config.disk_size_gb) } : {}),
          ...(config.disk_type !== undefined ? { diskType: `zones/${config.zone}/diskTypes/${config.disk_type}` } : {}),
        },
      },
    ],
    networkInterfaces: [
      {
        ...(network ? { network } : {}),
        ...(config.subnetwork ? { subnetwork: config.subnetwork } : {}),
        ...(config.public_ip ? { accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] } : {}),
      },
    ],
    ...(config.network_tags && config.network_tags.length > 0 ? { tags: { items: [...config.network_tags] } } : {}),
    ...(config.service_account_email ? { serviceAccounts: [{ email: config.service_account_email, scopes: config.scopes ?? DEFAULT_SCOPES }] } : {}),
  };
}
