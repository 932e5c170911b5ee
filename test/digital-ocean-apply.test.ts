// plan/apply/crash with the DigitalOcean providers, end to end: `node
// bin/poolform.js apply` (a real child process) against the DigitalOcean API
// fake on loopback (api_url in the config, the token an `${env:}` reference).
// The apply is SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge with no duplicate
// droplet and no orphaned A or marker TXT record, and `plan` must then say
// "No changes.". The same for a scale-down to zero. In-process: the number of
// mutating calls, the steady-state listing cost, a capacity refusal backing
// the autoscaler off, and a bad token as a plan error.
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createDigitalOceanVmProvider } from '../src/providers/digital-ocean/index.ts';
import { tagOf } from '../src/providers/digital-ocean/tags.ts';
import { createDigitalOceanDnsProvider } from '../src/providers/digital-ocean-dns/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { type FakeDigitalOcean, startFakeDigitalOcean } from './fakes/digital-ocean/server.ts';
import { runChild } from './fixtures/plan/harness.ts';
import {
  applyInProcess,
  type ApplyWorkspace,
  convergedVmIds,
  type CrashChecks,
  crashCreateThenConverge,
  crashScaleDownThenConverge,
  createApplyWorkspace,
  expectApply,
  expectCliNoChanges,
  expectKilledApply,
  expectNoChanges,
  expectNoDuplicate,
  isWaiting,
  loadWorkspaceConfig,
  reconcileLater,
  removeWorkspace,
  shiftedDeps,
} from './support/provider-apply-harness.ts';

const DOMAIN = 'example.test';
const BASE = `desk.${DOMAIN}`;

function configText(fake: FakeDigitalOcean, sessions: number, concurrency: number | undefined): string {
  const settings = concurrency === undefined ? '' : `kind: Settings\nprovider_concurrency: ${concurrency}\n---\n`;
  return `${settings}kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: do
    dns_provider: dodns
    register_dns: true
    base_domain_name: ${BASE}
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: do
type: digital_ocean
max_instances: 10
token: \${env:DIGITALOCEAN_TOKEN}
region: nyc3
size: s-2vcpu-4gb
image: ubuntu-24-04-x64
api_url: ${fake.url}
startup_script: |
  #!/bin/sh
  echo {server_id}
---
kind: DnsProvider
name: dodns
type: digital_ocean
token: \${env:DIGITALOCEAN_TOKEN}
api_url: ${fake.url}
`;
}

function workspace(fake: FakeDigitalOcean, sessions: number, concurrency?: number): ApplyWorkspace {
  return createApplyWorkspace({
    prefix: 'poolform-do-apply-',
    fileName: 'do.yaml',
    text: configText(fake, sessions, concurrency),
    env: { DIGITALOCEAN_TOKEN: fake.token },
  });
}

/** readsToActive 0: droplets are active in the create answer, so the child's default poll interval never runs. */
const fakeFor = (): Promise<FakeDigitalOcean> => startFakeDigitalOcean({ readsToActive: 0, domains: [DOMAIN] });

function registryFor(ws: ApplyWorkspace) {
  return (config: Config, now: () => number = Date.now): ProviderRegistry => {
    const fast = { retryBaseMs: 1, retryMaxMs: 5, sleep: async () => undefined };
    return createProviderRegistry({
      config,
      stateDir: ws.state,
      env: ws.env,
      factories: {
        digitalOceanVm: (options) => createDigitalOceanVmProvider({ ...options, pollIntervalMs: 1, now, clientOptions: fast }),
        digitalOceanDns: (options) => createDigitalOceanDnsProvider({ ...options, clientOptions: fast }),
      },
    });
  };
}

const zone = (fake: FakeDigitalOcean) => [...(fake.records.get(DOMAIN)?.values() ?? [])];

/** Converged: state, droplets and records agree, and plan has nothing to do (a `poolform plan` child when `cli`). */
async function assertConverged(fake: FakeDigitalOcean, ws: ApplyWorkspace, expected: number, cli = false): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  const droplets = [...fake.droplets.values()];
  expect(droplets.map((d) => tagOf(d.tags, 'server')).sort()).toEqual(vmIds);
  expect(vmIds).toHaveLength(expected);
  // One A record and one marker TXT per droplet, nothing else.
  const records = zone(fake);
  const a = records.filter((r) => r.type === 'A');
  const txt = records.filter((r) => r.type === 'TXT');
  expect(txt.map((r) => r.data.replace('poolform:server-id=', '')).sort()).toEqual(vmIds);
  expect(a).toHaveLength(expected);
  const privateIps = new Set(droplets.map((d) => d.private_ip));
  for (const r of a) expect(privateIps.has(r.data)).toBe(true);
  if (cli) await expectCliNoChanges(ws);
  else await expectNoChanges(ws, registryFor(ws));
}

function assertNoDuplicate(fake: FakeDigitalOcean, wanted: number): void {
  expectNoDuplicate(
    [...fake.droplets.values()].map((d) => tagOf(d.tags, 'server')),
    wanted,
  );
}

const crashChecks = (fake: FakeDigitalOcean, ws: ApplyWorkspace, wanted: number): CrashChecks => ({
  noDuplicate: () => assertNoDuplicate(fake, wanted),
  reconcileLater: () => reconcileLater(ws, registryFor(ws)),
  converged: (expected, cli) => assertConverged(fake, ws, expected, cli),
});

describe('apply with the DigitalOcean providers', () => {
  it('an in-process apply creates 2 droplets and their records with 3 mutating calls; steady state costs one listing per provider', {
    timeout: 60_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const applied = await applyInProcess(ws, registryFor(ws)).catch(async (err: unknown) => {
      await fake.close();
      removeWorkspace(ws);
      throw err;
    });
    try {
      expect(applied.mutating).toBe(3);
      expect(fake.droplets.size).toBe(2);
      fake.calls.length = 0;
      const again = await applied.replan();
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => c.operation).sort()).toEqual(['droplets.list', 'records.list']);
    } finally {
      await applied.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 300_000 }, async () => {
    for (const n of [1, 2, 3]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2, 1);
      try {
        const checks = crashChecks(fake, ws, 2);
        await crashCreateThenConverge(ws, n, 2, checks, { cli: n === 1 });
        if (n <= 2) await crashScaleDownThenConverge(ws, n, 2, checks);
      } finally {
        await fake.close();
        removeWorkspace(ws);
      }
    }
  });

  it('a kill during parallel creates: no duplicate droplet, the next apply (and a later reconcile) converges', { timeout: 120_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 3);
    try {
      await expectKilledApply(ws, 1, { cleanStderr: false });
      const again = await expectApply(ws);
      assertNoDuplicate(fake, 3);
      if (isWaiting(again)) await reconcileLater(ws, registryFor(ws));
      await assertConverged(fake, ws, 3);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('a region/size refusal (422) fails only its droplet and backs the autoscaler off; later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 3);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await loadWorkspaceConfig(ws);
      let shift = 0;
      const deps = shiftedDeps(ws, config, store, registryFor(ws), () => shift);
      fake.inject({ method: 'POST', path: '/v2/droplets', status: 422, id: 'unprocessable_entity', message: 'Size is not available in this region.' });
      const first = await reconcileOnce(deps);
      expect(first.applied.failures).toHaveLength(1);
      expect(first.applied.failures[0]).toMatchObject({ code: 'do-insufficient-capacity' });
      expect(fake.droplets.size).toBe(2);
      const snap = await store.snapshot();
      expect(snap.intents).toEqual([]);
      expect(snap.history['agents/fleet']).toMatchObject({ create_errors: 1 });
      // Inside the backoff nothing is created (no create/delete loop).
      shift = 30_000;
      const held = await planOnce(deps);
      expect(held.plan.changes).toEqual([]);
      expect(held.plan.decisions.find((d) => d.action === 'hold')?.cause).toBe('backoff');
      shift = 3 * 60_000;
      const second = await reconcileOnce(deps);
      expect(second.applied.failures).toEqual([]);
      expect(fake.droplets.size).toBe(3);
      expect(zone(fake).filter((r) => r.type === 'A')).toHaveLength(3);
    } finally {
      await store.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('plan with a wrong token is a plan error naming the provider, without the token', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 1);
    try {
      const plan = await runChild(['plan', ws.config, '--state', ws.state], { ...ws.env, DIGITALOCEAN_TOKEN: 'dop_v1_wrong-secret-value' });
      expect(plan.code).not.toBe(0);
      expect(plan.stderr).toContain('VmProvider do');
      expect(plan.stderr).toContain('unauthorized');
      expect(`${plan.stdout}${plan.stderr}`).not.toContain('wrong-secret-value');
      expect(fake.droplets.size).toBe(0);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });
});
