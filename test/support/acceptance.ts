// Shared pieces of the provider acceptance suites (test/<provider>-acceptance.test.ts),
// which run against a real cloud only when asked: the gate (a POOLFORM_ACC_*
// flag plus the variables the suite needs, and the reason shown when skipped)
// and the DNS record round trip every DNS provider's suite makes.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { DnsProviderClient, DnsRecord, VmProviderClient, VmState } from '../../src/providers/types.ts';

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

export interface VmRoundTripOptions {
  /** States the create may answer with (default: running only). */
  createdStates?: readonly VmState[];
  /** State the first observe must show too (default: not checked). */
  observedState?: VmState;
}

/**
 * Creates one VM (a random server id), sees exactly it in observe, and
 * destroys it (always, once made): the destroy succeeds and observe no longer
 * lists the server.
 */
export async function expectVmRoundTrip(client: VmProviderClient, userData: string, options: VmRoundTripOptions = {}): Promise<void> {
  const serverId = `acc-${randomBytes(3).toString('hex')}`;
  let providerId: string | undefined;
  try {
    const vm = await client.create({
      intent_id: `acc-intent-${randomBytes(6).toString('hex')}`,
      server_id: serverId,
      hostname: serverId,
      pool: 'acc',
      autoscale: 'acc',
      user_data: userData,
    });
    providerId = vm.provider_id;
    expect(options.createdStates ?? ['running']).toContain(vm.state);
    const seen = (await client.observe()).filter((v) => v.server_id === serverId);
    expect(seen.map((v) => v.provider_id)).toEqual([vm.provider_id]);
    if (options.observedState) expect(seen[0]?.state).toBe(options.observedState);
  } finally {
    if (providerId) {
      const results = await client.destroy([{ provider_id: providerId, server_id: serverId }]);
      expect(results[0]?.error).toBeUndefined();
      expect((await client.observe()).some((v) => v.server_id === serverId)).toBe(false);
    }
  }
}
