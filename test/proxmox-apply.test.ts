// plan/apply/crash with the Proxmox VE provider, end to end: `node bin/poolform.js
// apply` as a child process against the PVE fake on loopback (the provider's
// own HTTP client needs nothing but the API URL and the token secret from the
// environment), SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge: no duplicate VM, no
// orphaned VM or disk, and plan then has nothing to do. The same for a
// scale-down to zero. In-process: steady state costs one listing, a rejected
// token is a plan error naming the provider, a full storage ("No space left on
// device") creates nothing and the pool completes later, and a create
// interrupted between clone and config (an untagged clone) or before the
// script was handed over (tagged, not ready) is cleaned up and replaced.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createProxmoxVmProvider, parseTags, readMarkers } from '../src/providers/proxmox/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { FAST_PROXMOX_TUNING } from './fakes/proxmox/harness.ts';
import { FAKE_NODE, FAKE_TEMPLATE, FAKE_TOKEN, type FakeProxmox, startFakeProxmox } from './fakes/proxmox/server.ts';
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

function configText(fake: FakeProxmox, sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: pve
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: pve
type: proxmox
max_instances: 10
api_url: ${fake.baseUrl}
token_id: ${FAKE_TOKEN.id}
token_secret: \${env:PVE_TOKEN_SECRET}
node: ${FAKE_NODE}
template_vmid: ${FAKE_TEMPLATE}
startup_script: |
  #!/bin/sh
  echo {server_id}
`;
}

function workspace(fake: FakeProxmox, sessions: number): Ws {
  return createApplyWorkspace({
    prefix: 'poolform-proxmox-apply-',
    fileName: 'proxmox.yaml',
    text: configText(fake, sessions),
    env: { PVE_TOKEN_SECRET: FAKE_TOKEN.secret },
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
    factories: { proxmoxVm: (options) => createProxmoxVmProvider({ ...options, ...FAST_PROXMOX_TUNING, ...(now ? { now } : {}) }) },
  });
}

/** One in-process reconcile, optionally with the clock shifted (past the wait for an intent whose create never reached Proxmox VE). */
async function reconcile(ws: Ws, shiftMs = 0): Promise<void> {
  await reconcileLater(ws, (config, now) => registryFor(config, ws, now), { shiftMs, seed: Math.floor(Math.random() * 1e6) });
}

async function assertConverged(fake: FakeProxmox, ws: Ws, expected: number): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  expect(vmIds).toHaveLength(expected);
  const vms = clones(fake);
  expect(vms.map((v) => readMarkers(parseTags(v.tags)).serverId).sort()).toEqual(vmIds);
  // Every clone is ready and carries its markers: no half-made or untagged VM left.
  expect(vms.every((v) => readMarkers(parseTags(v.tags)).ready && v.status === 'running')).toBe(true);
  await expectNoChanges(ws, (config) => registryFor(config, ws));
}

/** The VMs at the fake that are not the template. */
function clones(fake: FakeProxmox) {
  return [...fake.vms.values()].filter((v) => !v.template);
}

function assertNoDuplicate(fake: FakeProxmox, wanted: number): void {
  expectNoDuplicate(
    clones(fake).map((v) => readMarkers(parseTags(v.tags)).intentId),
    wanted,
  );
}

// No waiting in the child: tasks stop on their first status read and the guest agent answers the first ping.
const fakeFor = () => startFakeProxmox({ taskPolls: 0, agentPolls: 0 });

describe('apply with the Proxmox VE provider', () => {
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
      expect(clones(fake)).toHaveLength(2);
      fake.resetCalls();
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls).toEqual(new Map([['GET /cluster/resources', 1]]));
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
        expect(again.stderr).not.toContain(FAKE_TOKEN.secret);
        expect(again.stdout).not.toContain(FAKE_TOKEN.secret);

        if (n === 1) {
          // Scale to zero: one destroy call for both VMs.
          await crashScaleDownThenConverge(ws, 1, 2, checks);
          expect(clones(fake)).toEqual([]);
        }
      } finally {
        await fake.close();
        rmSync(ws.root, { recursive: true, force: true });
      }
    }
  });

  it('a rejected token is a plan error naming the provider; nothing is created', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    ws.env = { PVE_TOKEN_SECRET: 'not-the-secret-42' };
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const { plan } = await planOnce({ config, store, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider pve: Proxmox VE rejected the API token/);
      expect(text).not.toContain('not-the-secret-42');
      expect(fake.callCount('POST /nodes/pve1/qemu/{vmid}/clone')).toBe(0);
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('"No space left on device" fails only its VM, leaves nothing behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.inject({ method: 'POST', path: '/clone', taskError: 'clone failed: write error: No space left on device' });
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
        expect(round.applied.failures.map((f) => f.code)).toEqual(['proxmox-insufficient-capacity']);
        expect(clones(fake)).toHaveLength(1);
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

  it('a create cut off between clone and config leaves an untagged clone that the next create removes; the pool converges', { timeout: 120_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      // The config call after the first clone answers 500 (outcome unknown: the clone stays, untagged, not reportable as a server).
      fake.inject({ method: 'POST', path: /\/config$/, status: 500, message: 'got timeout' });
      const config = await load(ws);
      const store = await createSqliteStore({ path: ws.state });
      try {
        const round = await reconcileOnce({
          config,
          store,
          registry: registryFor(config, ws),
          clock: () => new Date(),
          idGen: createSeededIdGen(9),
          newId: randomUUID,
          env: ws.env,
          apiAddress: '127.0.0.1:9',
        });
        expect(round.applied.failures.map((f) => f.code)).toEqual(['proxmox-error']);
        // The second create of the round found the untagged clone by its name and removed it before cloning its own.
        expect(clones(fake)).toHaveLength(1);
        expect(clones(fake).filter((v) => v.tags === '')).toEqual([]);
        expect(fake.callCount('DELETE /nodes/pve1/qemu/{vmid}')).toBe(1);
      } finally {
        await store.close();
      }
      for (let i = 0; i < 4; i++) await reconcile(ws, (i + 1) * 20 * 60_000);
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});
