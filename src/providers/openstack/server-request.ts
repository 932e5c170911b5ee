// The POST /servers body (Compute API v2.1, "Create Server"). Boot from image
// (imageRef) or, with boot_from_volume, from a new volume made from the image
// (block_device_mapping_v2 boot_index 0, source image → destination volume,
// delete_on_termination as configured; volume_type needs microversion 2.67).
// Networks are required from microversion 2.37 ([{uuid}] or "auto"/"none").
import type { OpenStackVmProvider } from '../../generated/config.ts';
import type { VmCreateRequest } from '../types.ts';
import { ownershipMetadata, ownershipTags } from './markers.ts';
import { encodeUserData } from './user-data.ts';

/** Tags in the create body need 2.52; BDM volume_type needs 2.67. */
export function microversionFor(config: Pick<OpenStackVmProvider, 'volume_type'>): string {
  return config.volume_type !== undefined ? '2.67' : '2.52';
}

export function serverBody(config: OpenStackVmProvider, flavorRef: string, name: string, request: VmCreateRequest): { server: Record<string, unknown> } {
  const networks = typeof config.networks === 'string' ? config.networks : config.networks.map((uuid) => ({ uuid }));
  const server: Record<string, unknown> = {
    name,
    flavorRef,
    networks,
    metadata: ownershipMetadata(config, request),
    tags: ownershipTags(config.name),
    user_data: encodeUserData(request.user_data),
  };
  if (config.boot_from_volume === true) {
    server['block_device_mapping_v2'] = [
      {
        boot_index: 0,
        uuid: config.image_id,
        source_type: 'image',
        destination_type: 'volume',
        volume_size: config.volume_size_gb,
        ...(config.volume_type !== undefined ? { volume_type: config.volume_type } : {}),
        delete_on_termination: config.delete_volume_on_termination !== false,
      },
    ];
  } else {
    server['imageRef'] = config.image_id;
  }
  if (config.security_groups && config.security_groups.length > 0) server['security_groups'] = config.security_groups.map((n) => ({ name: n }));
  if (config.key_name !== undefined) server['key_name'] = config.key_name;
  if (config.availability_zone !== undefined) server['availability_zone'] = config.availability_zone;
  return { server };
}
