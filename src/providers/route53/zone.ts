// Finds the hosted zone for a base domain: the zone named exactly like it,
// else the closest enclosing zone (agents.example.com → example.com). When a
// public and a private zone share the name (split horizon), the config's `ip`
// picks: private addresses go to the private zone, public to the public one.
import { ListHostedZonesByNameCommand, type HostedZone, type Route53Client } from '@aws-sdk/client-route-53';
import type { Route53DnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { normalizeName } from './records.ts';

export interface ZoneRef {
  id: string;
  /** Zone apex, lowercase, no trailing dot. */
  name: string;
}

/** Candidate zone names for a base domain, most specific first (at least two labels). */
export function enclosingNames(baseDomain: string): string[] {
  const labels = normalizeName(baseDomain).split('.').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  if (out.length === 0 && labels.length === 1) out.push(labels[0] ?? '');
  return out;
}

function pick(config: Route53DnsProvider, zones: HostedZone[], name: string): HostedZone {
  if (zones.length === 1 && zones[0]) return zones[0];
  const wantPrivate = (config.ip ?? 'private') === 'private';
  const preferred = zones.filter((z) => (z.Config?.PrivateZone ?? false) === wantPrivate);
  if (preferred.length === 1 && preferred[0]) return preferred[0];
  throw new PoolformError('dns-zone-ambiguous', `DnsProvider ${config.name}: ${zones.length} hosted zones are named ${name}; set hosted_zone_id to choose one`);
}

export async function findHostedZone(
  client: Route53Client,
  config: Route53DnsProvider,
  baseDomain: string,
  send: <T>(operation: string, run: () => Promise<T>) => Promise<T>,
): Promise<ZoneRef> {
  for (const name of enclosingNames(baseDomain)) {
    const out = await send('ListHostedZonesByName', () => client.send(new ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 10 })));
    const exact = (out.HostedZones ?? []).filter((z) => z.Name !== undefined && normalizeName(z.Name) === name && z.Id);
    if (exact.length > 0) {
      const zone = pick(config, exact, name);
      return { id: (zone.Id ?? '').replace(/^\/hostedzone\//, ''), name };
    }
  }
  throw new PoolformError(
    'dns-zone-not-found',
    `DnsProvider ${config.name}: no Route 53 hosted zone found for base_domain_name ${normalizeName(baseDomain)}; create the hosted zone, or set hosted_zone_id`,
    { field: 'base_domain_name', details: { base_domain_name: normalizeName(baseDomain) } },
  );
}
