// Crash safety of apply, with real processes: `node bin/poolform.js apply`
// is SIGKILLed (POOLFORM_CRASH_AFTER=N) right after its Nth provider call,
// for every N up to the calls of a full apply; the next apply must converge
// with no duplicate VM and no orphaned record, and a following plan must say
// "No changes.". Also: two applies started at once — exactly one proceeds.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { localDnsRecords, localVmIds, makeWorkspace, runChild, runCli } from './fixtures/plan/harness.ts';

async function assertConverged(ws: Workspace, expectedVms: number): Promise<void> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    const vmIds = snap.resources
      .filter((r) => r.type === 'vm')
      .map((r) => String(r.attributes['server_id']))
      .sort();
    // No duplicate and no unrecorded VM: the provider holds exactly what state records.
    expect(localVmIds(ws.state)).toEqual(vmIds);
    expect(vmIds).toHaveLength(expectedVms);
    // Every record belongs to a recorded VM, and state and the hosts file agree.
    const dns = localDnsRecords(ws.state);
    const dnsInState = snap.resources.filter((r) => r.type === 'dns_record');
    expect([...dns.keys()].sort()).toEqual(dnsInState.map((r) => r.address.slice(4)).sort());
    for (const owner of dns.values()) expect(vmIds).toContain(owner);
    expect(dns.size).toBe(expectedVms);
    // Every autoscaled server record has its VM.
    expect(
      snap.servers
        .filter((s) => s.autoscale !== null)
        .map((s) => s.id)
        .sort(),
    ).toEqual(vmIds);
  } finally {
    await store.close();
  }
  const plan = await runCli(['plan', ws.config, '--state', ws.state, '--detailed-exitcode']);
  expect(plan.stdout).toContain('No changes.');
  expect(plan.code).toBe(0);
}

describe('crash safety', () => {
  it('SIGKILL after each provider call of a full apply, then apply again: no duplicates, no orphans, No changes.', { timeout: 300_000 }, async () => {
    let completedAt = 0;
    for (let n = 1; n <= 20 && completedAt === 0; n++) {
      const ws = makeWorkspace('basic');
      try {
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { POOLFORM_CRASH_AFTER: String(n) });
        if (crashed.signal !== 'SIGKILL') {
          // N is past the provider calls of a full apply: it simply completes.
          expect(crashed.stderr).toBe('');
          expect(crashed.code).toBe(0);
          completedAt = n;
          await assertConverged(ws, 2);
          break;
        }
        const again = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve']);
        // The killed apply's lock is reported as stale and taken over.
        expect(again.stderr).toMatch(/^Warning: the state lock \S+ was stale \(held by apply, pid \d+ on [^\n]*\n$/);
        expect(again.code).toBe(0);
        await assertConverged(ws, 2);
      } finally {
        await ws.cleanup();
      }
    }
    // Two VM creates and at least one DNS upsert: at least 3 crash points were exercised.
    expect(completedAt).toBeGreaterThanOrEqual(4);
  });

  it('a crash while destroying is finished by the next apply', { timeout: 120_000 }, async () => {
    const ws = makeWorkspace('basic');
    try {
      expect((await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'])).code).toBe(0);
      const pool = join(ws.config, 'pool.yaml');
      writeFileSync(pool, readFileSync(pool, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 0'));
      // Destroys: 1 DNS delete call (batched) then VM destroys; die after the first.
      const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { POOLFORM_CRASH_AFTER: '2' });
      expect(crashed.signal).toBe('SIGKILL');
      const again = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve']);
      expect(again.code).toBe(0);
      await assertConverged(ws, 0);
    } finally {
      await ws.cleanup();
    }
  });

  it('two applies started at once: exactly one proceeds, no duplicates', { timeout: 120_000 }, async () => {
    const ws = makeWorkspace('basic');
    try {
      // Enough VMs that the first apply holds the lock while the second starts.
      const providers = join(ws.config, 'providers.yaml');
      writeFileSync(providers, readFileSync(providers, 'utf8').replace('max_instances: 5', 'max_instances: 20'));
      const pool = join(ws.config, 'pool.yaml');
      writeFileSync(pool, readFileSync(pool, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 12'));
      const args = ['apply', ws.config, '--state', ws.state, '--auto-approve'];
      const [a, b] = await Promise.all([runChild(args), runChild(args)]);
      const runs = [a, b];
      const proceeded = runs.filter((r) => r.stdout.includes('Apply complete! Resources: 25 added'));
      expect(proceeded).toHaveLength(1);
      const other = runs.find((r) => r !== proceeded[0]);
      // The other one failed at once naming the holder (or, if it started late, found nothing left to do).
      if (other?.code === 1) expect(other.stderr).toMatch(/state is locked by apply \(pid \d+ on /);
      else expect(other?.stdout).toContain('No changes.');
      await assertConverged(ws, 12);
    } finally {
      await ws.cleanup();
    }
  });
});
