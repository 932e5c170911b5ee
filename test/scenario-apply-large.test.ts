// Scenario: a large pool on the local provider. 300 VMs (spawn stubbed: no
// real processes) with DNS records and a fixed server: plan, apply, re-plan and
// scale to zero stay fast, and provider calls are batched (one listing per
// provider per round, one DNS change per zone, one destroy call per provider).
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { BASE_ENV, localDnsRecords, localVmIds, makeWorkspace } from './fixtures/plan/harness.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const N = 300;
let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace('basic');
  const providers = join(ws.config, 'providers.yaml');
  writeFileSync(providers, readFileSync(providers, 'utf8').replace('max_instances: 5', `max_instances: ${N}`));
});
afterEach(async () => {
  await ws.cleanup();
});

async function setMin(min: number): Promise<void> {
  const pool = join(ws.config, 'pool.yaml');
  writeFileSync(pool, readFileSync(pool, 'utf8').replace(/minimum_available_sessions: \d+/, `minimum_available_sessions: ${min}`));
}

describe('300 VMs on the local provider', () => {
  it('plans and applies in bounded time with batched provider calls', { timeout: testTimeout(120_000) }, async () => {
    await setMin(N);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const round = async (label: string) => {
        const loaded = await loadConfig(ws.config);
        if (!loaded.config) throw new Error('config invalid');
        const config = loaded.config;
        // A pid far above pid_max: never a real process (destroy finds no group to kill).
        const { registry, counter } = withCallCounter(
          createProviderRegistry({ config, stateDir: ws.state, env: BASE_ENV, localVm: { spawn: () => 999_999_970 } }),
        );
        const t0 = performance.now();
        const { plan } = await planOnce({ config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3) });
        const planMs = performance.now() - t0;
        const planCalls = counter.byMethod();
        counter.reset();
        const t1 = performance.now();
        const result = await applyPlan(plan, {
          config,
          store,
          registry,
          clock: () => new Date(),
          newId: randomUUID,
          env: BASE_ENV,
          apiAddress: '127.0.0.1:8080',
        });
        const applyMs = performance.now() - t1;
        expect(result.failures, label).toEqual([]);
        return { plan, planMs, applyMs, planCalls, applyCalls: counter.byMethod() };
      };

      const up = await round('scale up');
      expect(up.plan.changes).toHaveLength(2 * N + 1);
      // One listing per provider for the whole plan, never per resource.
      expect(up.planCalls).toEqual({ 'vm.observe': 1, 'dns.observe': 1 });
      // Every VM is a create; all records of the zone go in one call.
      expect(up.applyCalls['vm.create']).toBe(N);
      expect(up.applyCalls['dns.upsert']).toBe(1);
      expect(localVmIds(ws.state)).toHaveLength(N);
      expect(localDnsRecords(ws.state).size).toBe(N);
      // Generous bounds for a loaded 2-core machine (measured: well under a second each).
      expect(up.planMs).toBeLessThan(15_000);
      expect(up.applyMs).toBeLessThan(60_000);

      const steady = await round('steady');
      expect(steady.plan.changes).toEqual([]);
      expect(steady.planCalls).toEqual({ 'vm.observe': 1, 'dns.observe': 1 });
      expect(steady.applyCalls).toEqual({});
      expect(steady.planMs).toBeLessThan(15_000);

      await setMin(0);
      const down = await round('scale to zero');
      expect(down.plan.changes.filter((c) => c.action === 'delete')).toHaveLength(2 * N);
      expect(down.applyCalls['dns.delete']).toBe(1);
      expect(down.applyCalls['vm.destroy']).toBe(1);
      expect(localVmIds(ws.state)).toEqual([]);
      expect(localDnsRecords(ws.state).size).toBe(0);
      expect(down.applyMs).toBeLessThan(60_000);
    } finally {
      await store.close();
    }
  });
});
