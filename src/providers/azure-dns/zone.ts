// Finds the Azure DNS zone for a base domain in the provider's resource
// group: `zone_name` when set, else the zone named exactly like the base
// domain, else the closest enclosing zone (agents.example.com → example.com),
// one Zones_Get per candidate.
import type { DnsManagementClient } from '@azure/arm-dns';
import type { AzureDnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { azureErrorShape } from '../azure/errors.ts';
import { normalizeName } from './records.ts';

/** Candidate zone names for a base domain, most specific first (at least two labels). */
export function enclosingNames(baseDomain: string): string[] {
  const labels = normalizeName(baseDomain).split('.').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  if (out.length === 0 && labels.length === 1 && labels[0]) out.push(labels[0]);
  return out;
}

export async function findZone(
  client: DnsManagementClient,
  config: AzureDnsProvider,
  baseDomain: string,
  send: <T>(operation: string, run: () => Promise<T>) => Promise<T>,
): Promise<string> {
  if (config.zone_name) return normalizeName(config.zone_name);
  for (const name of enclosingNames(baseDomain)) {
    try {
      const zone = await send('Zones_Get', () => client.zones.get(config.resource_group, name));
      return normalizeName(zone.name ?? name);
    } catch (error) {
      const cause = error instanceof PoolformError ? error.cause : error;
      if (azureErrorShape(cause).status !== 404) throw error;
    }
  }
  throw new PoolformError(
    'dns-zone-not-found',
    `DnsProvider ${config.name}: no Azure DNS zone for base_domain_name ${normalizeName(baseDomain)} in resource_group ${config.resource_group}; create the zone, or set zone_name`,
    { field: 'base_domain_name', details: { base_domain_name: normalizeName(baseDomain) } },
  );
}
