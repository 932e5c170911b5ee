// EC2 Instance → ObservedVm. Instances poolform did not tag completely (no
// server id) are not poolform's servers and are dropped.
import type { Instance } from '@aws-sdk/client-ec2';
import type { ObservedVm, VmState } from '../types.ts';
import { TAG_AUTOSCALE, TAG_INTENT_ID, TAG_MANAGED, TAG_NAME, TAG_POOL, TAG_PROVIDER, TAG_SERVER_ID, tagsToMap } from './tags.ts';

const STATES: Record<string, VmState> = {
  pending: 'pending',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  'shutting-down': 'shutting-down',
  terminated: 'terminated',
};

/** EC2 state name → server status; unknown names are treated as pending (the instance exists). */
export function mapInstanceState(name: string | undefined): VmState {
  return (name !== undefined ? STATES[name] : undefined) ?? 'pending';
}

/** True for states in which the instance still exists and counts against max_instances. */
export function isLive(state: VmState): boolean {
  return state !== 'terminated' && state !== 'shutting-down';
}

/** True when the instance is poolform's and belongs to `providerName` (or carries no provider tag). */
export function belongsTo(instance: Instance, providerName: string): boolean {
  const tags = tagsToMap(instance.Tags);
  if (tags.get(TAG_MANAGED) !== 'true') return false;
  const provider = tags.get(TAG_PROVIDER);
  return provider === undefined || provider === providerName;
}

export function toObservedVm(instance: Instance): ObservedVm | undefined {
  const tags = tagsToMap(instance.Tags);
  const serverId = tags.get(TAG_SERVER_ID);
  if (!instance.InstanceId || !serverId) return undefined;
  const launched = instance.LaunchTime;
  return {
    provider_id: instance.InstanceId,
    server_id: serverId,
    pool: tags.get(TAG_POOL) ?? '',
    autoscale: tags.get(TAG_AUTOSCALE) ?? '',
    hostname: tags.get(TAG_NAME) ?? '',
    intent_id: tags.get(TAG_INTENT_ID) ?? instance.ClientToken ?? null,
    state: mapInstanceState(instance.State?.Name),
    private_ip: instance.PrivateIpAddress ?? null,
    public_ip: instance.PublicIpAddress ?? null,
    launched_at: launched instanceof Date && !Number.isNaN(launched.getTime()) ? launched.toISOString() : null,
  };
}
