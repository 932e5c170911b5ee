// Crash safety of apply, with real processes: `node bin/poolform.js apply`
// is SIGKILLed (POOLFORM_CRASH_AFTER=N) right after its Nth provider call,
// for every N up to the calls of a full apply; the next apply must converge
// with no duplicate VM and no orphaned record, and a following plan must say
// "No changes.". Also: two applies started at once — exactly one proceeds.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { BASE_ENV, localDnsRecords, localVmIds, makeWorkspace, runChild, runCli } from './fixtures/plan/harness.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

/** Mutating provider calls (what POOLFORM_CRASH_AFTER counts) of a full apply of the fixture, measured in-process. */
async function mutatingCallsOfFullApply(): Promise<number> {
  const ws = makeWorkspace('basic');
  const store = await createSqliteStore({ path: ws.state });
  try {
    const loaded = await loadConfig(ws.config);
    if (!loaded.config) throw new Error('fixture config invalid');
    const config = loaded.config;
    const { registry, counter } = withCallCounter(createProviderRegistry({ config, stateDir: ws.state, env: BASE_ENV }));
    const { plan } = await planOnce({ config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(1) });
    counter.reset();
    const result = await applyPlan(plan, { config, store, registry, clock: () => new Date(), newId: randomUUID, env: BASE_ENV, apiAddress: '127.0.0.1:8080' });
    expect(result.failures).toEqual([]);
    return counter.mutating;
  } finally {
    await store.close();
    await ws.cleanup();
  }
}

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
  it('SIGKILL after each provider call of a full apply, then apply again: no duplicates, no orphans, No changes.', {
    timeout: testTimeout(300_000),
  }, async () => {
    const calls = await mutatingCallsOfFullApply();
    // Two VM creates and one batched DNS upsert for the zone.
    expect(calls).toBe(3);
    for (let n = 1; n <= calls; n++) {
      const ws = makeWorkspace('basic');
      try {
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.signal).toBe('SIGKILL');
        const again = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve']);
        // The killed apply's lock is reported as stale and taken over.
        expect(again.stderr).toMatch(/^Warning: the state lock \S+ was stale \(held by apply, pid \d+ on [^\n]*\n$/);
        expect(again.code).toBe(0);
        await assertConverged(ws, 2);
      } finally {
        await ws.cleanup();
      }
    }
  });

  it('a crash at each provider call of a destroy is finished by the next apply', { timeout: testTimeout(120_000) }, async () => {
    // Scale-down to zero destroys: one batched DNS delete, then one batched VM destroy.
    for (const n of [1, 2]) {
      const ws = makeWorkspace('basic');
      try {
        expect((await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'])).code).toBe(0);
        const pool = join(ws.config, 'pool.yaml');
        writeFileSync(pool, readFileSync(pool, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 0'));
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.signal).toBe('SIGKILL');
        const again = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve']);
        expect(again.code).toBe(0);
        await assertConverged(ws, 0);
      } finally {
        await ws.cleanup();
      }
    }
  });

  it('two applies started at once: exactly one proceeds, no duplicates', { timeout: testTimeout(120_000) }, async () => {
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
