// Pure mapping between poolform and OCI Compute: the LaunchInstance body
// from the provider config, and an Instance (ListInstances/GetInstance) →
// what poolform observes.
import { createHash } from 'node:crypto';
import type { models } from 'oci-core';
import type { OciVmProvider } from '../../generated/config.ts';
import type { ObservedVm, VmCreateRequest, VmState } from '../types.ts';
import { instanceMetadata } from './metadata.ts';
import { ownershipTags, TAG_AUTOSCALE, TAG_INTENT, TAG_POOL, TAG_SERVER } from './tags.ts';

/**
 * The `opc-retry-token` of an intent: deterministic (a retry after a crash or
 * a lost answer sends the same token, and OCI returns the instance the first
 * call made), at most 64 characters, scoped by provider config.
 */
export function retryToken(providerName: string, intentId: string): string {
  return `poolform-${createHash('sha256').update(`${providerName}\0${intentId}`).digest('hex').slice(0, 48)}`;
}

export const isFlexShape = (shape: string): boolean => shape.endsWith('.Flex');

/** A generated `{[k]: string | undefined}` map without the undefined entries. */
function present(map: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** LaunchInstanceDetails (Core Services API: LaunchInstance). */
export function launchDetails(config: OciVmProvider, request: VmCreateRequest): models.LaunchInstanceDetails {
  const sourceDetails: models.InstanceSourceViaImageDetails = {
    sourceType: 'image',
    imageId: config.image_id,
    ...(config.boot_volume_size_gb !== undefined ? { bootVolumeSizeInGBs: config.boot_volume_size_gb } : {}),
  };
  return {
    compartmentId: config.compartment_id,
    availabilityDomain: config.availability_domain,
    displayName: request.hostname,
    shape: config.shape,
    ...(config.shape_config
      ? {
          shapeConfig: {
            ocpus: config.shape_config.ocpus,
            ...(config.shape_config.memory_in_gbs !== undefined ? { memoryInGBs: config.shape_config.memory_in_gbs } : {}),
          },
        }
      : {}),
    sourceDetails,
    createVnicDetails: {
      subnetId: config.subnet_id,
      assignPublicIp: config.assign_public_ip ?? false,
      displayName: request.hostname,
      ...(config.nsg_ids !== undefined ? { nsgIds: config.nsg_ids } : {}),
    },
    metadata: instanceMetadata(request.user_data, config.ssh_authorized_keys),
    freeformTags: ownershipTags(config.name, request, present(config.freeform_tags)),
    ...(config.defined_tags !== undefined
      ? { definedTags: Object.fromEntries(Object.entries(config.defined_tags).map(([ns, tags]) => [ns, present(tags)])) }
      : {}),
  };
}

/** Instance lifecycle state → server state. */
export function mapLifecycle(state: string | undefined): VmState {
  switch (state) {
    case 'RUNNING':
      return 'running';
    case 'STOPPING':
      return 'stopping';
    case 'STOPPED':
      return 'stopped';
    case 'TERMINATING':
      return 'shutting-down';
    case 'TERMINATED':
      return 'terminated';
    default:
      // PROVISIONING, STARTING, MOVING, CREATING_IMAGE.
      return 'pending';
  }
}

export interface Addresses {
  private_ip: string | null;
  public_ip: string | null;
}

/** Undefined when the instance carries no server tag (not one poolform can account for). */
export function toObservedVm(instance: models.Instance, addresses: Addresses | undefined): ObservedVm | undefined {
  const tags = instance.freeformTags ?? {};
  const serverId = tags[TAG_SERVER];
  if (serverId === undefined) return undefined;
  return {
    provider_id: instance.id,
    server_id: serverId,
    pool: tags[TAG_POOL] ?? '',
    autoscale: tags[TAG_AUTOSCALE] ?? '',
    hostname: instance.displayName ?? '',
    intent_id: tags[TAG_INTENT] ?? null,
    state: mapLifecycle(instance.lifecycleState),
    private_ip: addresses?.private_ip ?? null,
    public_ip: addresses?.public_ip ?? null,
    launched_at: instance.timeCreated ? new Date(instance.timeCreated).toISOString() : null,
  };
}
