// plan/apply/crash with the Nutanix provider, end to end: `node bin/poolform.js
// apply` as a child process against the Prism Central v3 fake on loopback
// (the provider's own HTTP client needs nothing but the URL and the
// credentials from the environment), SIGKILLed right after each of its
// mutating provider calls (POOLFORM_CRASH_AFTER=N); the next apply must
// converge: no duplicate VM, no orphaned VM, and plan then has nothing to do.
// The same for a scale-down to zero. In-process: steady state costs one
// listing, rejected credentials are a plan error naming the provider, and a
// cluster without memory (a FAILED create task) creates nothing and the pool
// completes later.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createNutanixVmProvider, readMarkers } from '../src/providers/nutanix/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { FAST_NUTANIX_TUNING } from './fakes/nutanix/harness.ts';
import { FAKE_NTNX, type FakeNutanix, startFakeNutanix } from './fakes/nutanix/server.ts';
import {
  type ApplyWorkspace,
  convergedVmIds,
  createApplyWorkspace,
  expectNoChanges,
  expectNoDuplicate,
  reconcileLater,
  type CrashChecks,
  crashCreateThenConverge,
  crashScaleDownThenConverge,
} from './support/provider-apply-harness.ts';

type Ws = ApplyWorkspace;

function configText(fake: FakeNutanix, sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: ahv
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: ahv
type: nutanix
max_instances: 10
prism_central_url: ${fake.baseUrl}
username: ${FAKE_NTNX.username}
password: \${env:NUTANIX_PASSWORD}
cluster_uuid: ${FAKE_NTNX.clusterUuid}
subnet_uuid: ${FAKE_NTNX.subnetUuid}
image_uuid: ${FAKE_NTNX.imageUuid}
num_sockets: 1
num_vcpus_per_socket: 2
memory_mib: 4096
startup_script: |
  #!/bin/sh
  echo {server_id}
`;
}

function workspace(fake: FakeNutanix, sessions: number): Ws {
  return createApplyWorkspace({
    prefix: 'poolform-nutanix-apply-',
    fileName: 'nutanix.yaml',
    text: configText(fake, sessions),
    env: { NUTANIX_PASSWORD: FAKE_NTNX.password },
  });
}

async function load(ws: Ws): Promise<Config> {
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.config;
}

function registryFor(config: Config, ws: Ws, now?: () => number): ProviderRegistry {
  return createProviderRegistry({
    config,
    stateDir: ws.state,
    env: ws.env,
    factories: { nutanixVm: (options) => createNutanixVmProvider({ ...options, ...FAST_NUTANIX_TUNING, ...(now ? { now } : {}) }) },
  });
}

/** One in-process reconcile, optionally with the clock shifted (past the wait for an intent whose create never reached Prism Central). */
async function reconcile(ws: Ws, shiftMs = 0): Promise<void> {
  await reconcileLater(ws, (config, now) => registryFor(config, ws, now), { shiftMs, seed: Math.floor(Math.random() * 1e6) });
}

const markersOf = (fake: FakeNutanix) => [...fake.vms.values()].map((v) => readMarkers(v.description));

async function assertConverged(fake: FakeNutanix, ws: Ws, expected: number): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  expect(vmIds).toHaveLength(expected);
  expect(
    markersOf(fake)
      .map((m) => m?.serverId)
      .sort(),
  ).toEqual(vmIds);
  expect([...fake.vms.values()].every((v) => v.state === 'COMPLETE' && v.powerState === 'ON')).toBe(true);
  await expectNoChanges(ws, (config) => registryFor(config, ws));
}

function assertNoDuplicate(fake: FakeNutanix, wanted: number): void {
  expectNoDuplicate(
    markersOf(fake).map((m) => m?.intentId),
    wanted,
  );
}

// No waiting in the child: tasks are finished on their first status read.
const fakeFor = () => startFakeNutanix({ taskPolls: 0 });

describe('apply with the Nutanix provider', () => {
  it('an in-process apply creates 2 VMs; steady state costs one listing', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const { registry, counter } = withCallCounter(registryFor(config, ws));
      const deps = { config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3) };
      const { plan } = await planOnce(deps);
      counter.reset();
      const result = await applyPlan(plan, { ...deps, newId: randomUUID, env: ws.env, apiAddress: '127.0.0.1:9' });
      expect(result.failures).toEqual([]);
      expect(counter.mutating).toBe(2);
      expect(fake.vms.size).toBe(2);
      fake.resetCalls();
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls).toEqual(new Map([['POST /vms/list', 1]]));
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 300_000 }, async () => {
    for (const n of [1, 2]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2);
      try {
        const checks: CrashChecks = {
          noDuplicate: () => assertNoDuplicate(fake, 2),
          reconcileLater: () => reconcile(ws, 16 * 60_000),
          converged: (expected) => assertConverged(fake, ws, expected),
        };
        const again = await crashCreateThenConverge(ws, n, 2, checks);
        expect(again.stderr).not.toContain(FAKE_NTNX.password);
        expect(again.stdout).not.toContain(FAKE_NTNX.password);

        if (n === 1) {
          // Scale to zero: one destroy call for both VMs.
          await crashScaleDownThenConverge(ws, 1, 2, checks);
          expect(fake.vms.size).toBe(0);
        }
      } finally {
        await fake.close();
        rmSync(ws.root, { recursive: true, force: true });
      }
    }
  });

  it('rejected credentials are a plan error naming the provider; nothing is created', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    ws.env = { NUTANIX_PASSWORD: 'not-the-password-42' };
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const { plan } = await planOnce({ config, store, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider ahv: Prism Central rejected the credentials/);
      expect(text).not.toContain('not-the-password-42');
      expect(fake.callCount('POST /vms')).toBe(0);
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('a create task FAILED for insufficient memory fails only its VM, leaves nothing behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.inject({ method: 'POST', path: /\/vms$/, taskError: { code: 'INSUFFICIENT_RESOURCES', detail: 'Not enough memory available on the cluster' } });
      const config = await load(ws);
      const store = await createSqliteStore({ path: ws.state });
      try {
        const round = await reconcileOnce({
          config,
          store,
          registry: registryFor(config, ws),
          clock: () => new Date(),
          idGen: createSeededIdGen(5),
          newId: randomUUID,
          env: ws.env,
          apiAddress: '127.0.0.1:9',
        });
        expect(round.applied.failures.map((f) => f.code)).toEqual(['nutanix-insufficient-capacity']);
        expect(fake.vms.size).toBe(1);
        expect((await store.snapshot()).intents).toEqual([]);
      } finally {
        await store.close();
      }
      await reconcile(ws, 60 * 60_000);
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});
