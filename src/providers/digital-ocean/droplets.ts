// Droplet JSON (DigitalOcean API v2, Droplets - Retrieve an Existing Droplet)
// → what poolform observes. Pure.
import type { ObservedVm, VmState } from '../types.ts';
import { tagOf } from './tags.ts';

/** The fields of a droplet poolform reads. */
export interface DoDroplet {
  id: number;
  name: string;
  status: string;
  created_at?: string;
  tags?: string[];
  networks?: { v4?: { ip_address: string; type: string }[] };
  size_slug?: string;
  region?: { slug?: string };
}

/** Droplet status → server state: `new` is booting, `active` running, `off` stopped, `archive` gone. */
export function mapDropletStatus(status: string | undefined): VmState {
  switch (status) {
    case 'active':
      return 'running';
    case 'off':
      return 'stopped';
    case 'archive':
      return 'terminated';
    default:
      return 'pending';
  }
}

export function addressOf(droplet: DoDroplet, type: 'private' | 'public'): string | null {
  return droplet.networks?.v4?.find((n) => n.type === type)?.ip_address ?? null;
}

/** Undefined when the droplet carries no server tag (not one poolform can account for). */
export function toObservedVm(droplet: DoDroplet): ObservedVm | undefined {
  const serverId = tagOf(droplet.tags, 'server');
  if (serverId === undefined) return undefined;
  return {
    provider_id: String(droplet.id),
    server_id: serverId,
    pool: tagOf(droplet.tags, 'pool') ?? '',
    autoscale: tagOf(droplet.tags, 'autoscale') ?? '',
    hostname: droplet.name,
    intent_id: tagOf(droplet.tags, 'intent') ?? null,
    state: mapDropletStatus(droplet.status),
    private_ip: addressOf(droplet, 'private'),
    public_ip: addressOf(droplet, 'public'),
    launched_at: droplet.created_at ?? null,
  };
}
