// Shared pieces of the provider acceptance suites (test/<provider>-acceptance.test.ts),
// which run against a real cloud only when asked: the gate (a POOLFORM_ACC_*
// flag plus the variables the suite needs, and the reason shown when skipped)
// and the DNS record round trip every DNS provider's suite makes.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { DnsProviderClient, DnsRecord } from '../../src/providers/types.ts';

export interface AcceptanceGate {
  enabled: boolean;
  /** Why the suite is skipped ('' when enabled). */
  reason: string;
}

/**
 * Enabled when `flag` is '1' and none of `required` is empty in `env`.
 * `hint`: the reason when the flag is not set ("skipped: set … to run against …").
 */
export function acceptanceGate(flag: string, required: readonly string[], hint: string, env: NodeJS.ProcessEnv = process.env): AcceptanceGate {
  const missing = required.filter((name) => !env[name]);
  const enabled = env[flag] === '1' && missing.length === 0;
  if (enabled) return { enabled, reason: '' };
  if (env[flag] !== '1') return { enabled, reason: hint };
  const names = missing.length === 1 ? `${missing[0]} is` : missing.join(', ');
  return { enabled, reason: `skipped: ${flag}=1 but ${names} not set` };
}

/** A throw-away A record under `zone` (a random first label after `prefix`). */
export function accRecord(zone: string, prefix: string, serverId: string): DnsRecord {
  return { fqdn: `${prefix}${randomBytes(4).toString('hex')}.${zone}`, type: 'A', value: '192.0.2.10', ttl: 60, server_id: serverId };
}

/** Writes `record`, reads it back exactly, and deletes it (always), each call without a per-record error. */
export async function expectDnsRoundTrip(dns: DnsProviderClient, zone: string, record: DnsRecord): Promise<void> {
  try {
    expect((await dns.upsert(zone, [record])).map((r) => r.error)).toEqual([undefined]);
    expect((await dns.observe(zone)).filter((r) => r.fqdn === record.fqdn)).toEqual([record]);
  } finally {
    expect((await dns.delete(zone, [record])).map((r) => r.error)).toEqual([undefined]);
  }
}
