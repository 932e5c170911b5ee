// plan/apply/crash with the DigitalOcean providers, end to end: `node
// bin/poolform.js apply` (a real child process) against the DigitalOcean API
// fake on loopback (api_url in the config, the token an `${env:}` reference).
// The apply is SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge with no duplicate
// droplet and no orphaned A or marker TXT record, and `plan` must then say
// "No changes.". The same for a scale-down to zero. In-process: the number of
// mutating calls, the steady-state listing cost, a capacity refusal backing
// the autoscaler off, and a bad token as a plan error.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createDigitalOceanVmProvider } from '../src/providers/digital-ocean/index.ts';
import { tagOf } from '../src/providers/digital-ocean/tags.ts';
import { createDigitalOceanDnsProvider } from '../src/providers/digital-ocean-dns/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import type { Config } from '../src/config/model.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { type FakeDigitalOcean, startFakeDigitalOcean } from './fakes/digital-ocean/server.ts';
import { runChild } from './fixtures/plan/harness.ts';

const DOMAIN = 'example.test';
const BASE = `desk.${DOMAIN}`;

interface Ws {
  root: string;
  config: string;
  state: string;
  env: Record<string, string>;
}

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

function workspace(fake: FakeDigitalOcean, sessions: number, concurrency?: number): Ws {
  const root = mkdtempSync(join(tmpdir(), 'poolform-do-apply-'));
  const config = join(root, 'config');
  mkdirSync(config);
  writeFileSync(join(config, 'do.yaml'), configText(fake, sessions, concurrency));
  return { root, config, state: join(root, 'state'), env: { DIGITALOCEAN_TOKEN: fake.token } };
}

/** readsToActive 0: droplets are active in the create answer, so the child's default poll interval never runs. */
const fakeFor = (): Promise<FakeDigitalOcean> => startFakeDigitalOcean({ readsToActive: 0, domains: [DOMAIN] });

function registryFor(config: Config, ws: Ws, now: () => number = Date.now): ProviderRegistry {
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
}

async function load(ws: Ws): Promise<Config> {
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.config;
}

const zone = (fake: FakeDigitalOcean) => [...(fake.records.get(DOMAIN)?.values() ?? [])];

/** Converged: state, droplets and records agree, and plan has nothing to do (a `poolform plan` child when `cli`). */
async function assertConverged(fake: FakeDigitalOcean, ws: Ws, expected: number, cli = false): Promise<void> {
  const store = await createSqliteStore({ path: ws.state });
  let vmIds: string[];
  try {
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    vmIds = snap.resources
      .filter((r) => r.type === 'vm')
      .map((r) => String(r.attributes['server_id']))
      .sort();
  } finally {
    await store.close();
  }
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
  if (cli) {
    const plan = await runChild(['plan', ws.config, '--state', ws.state, '--detailed-exitcode'], ws.env);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
    return;
  }
  const config = await load(ws);
  const planStore = await createSqliteStore({ path: ws.state });
  try {
    const { plan } = await planOnce({ config, store: planStore, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(13) });
    expect(plan.changes).toEqual([]);
  } finally {
    await planStore.close();
  }
}

/** One reconcile 16 minutes "later": past the planner's 10-minute wait for a create an interrupted apply may have started. */
async function reconcileLater(ws: Ws): Promise<void> {
  const later = () => Date.now() + 16 * 60_000;
  const config = await load(ws);
  const store = await createSqliteStore({ path: ws.state });
  try {
    const round = await reconcileOnce({
      config,
      store,
      registry: registryFor(config, ws, later),
      clock: () => new Date(later()),
      idGen: createSeededIdGen(11),
      newId: randomUUID,
      env: ws.env,
      apiAddress: '127.0.0.1:9',
    });
    expect(round.applied.failures).toEqual([]);
  } finally {
    await store.close();
  }
}

function assertNoDuplicate(fake: FakeDigitalOcean, wanted: number): void {
  const servers = [...fake.droplets.values()].map((d) => tagOf(d.tags, 'server'));
  expect(new Set(servers).size).toBe(servers.length);
  expect(servers.length).toBeLessThanOrEqual(wanted);
}

describe('apply with the DigitalOcean providers', () => {
  it('an in-process apply creates 2 droplets and their records with 3 mutating calls; steady state costs one listing per provider', {
    timeout: 60_000,
  }, async () => {
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
      expect(counter.mutating).toBe(3);
      expect(fake.droplets.size).toBe(2);
      fake.calls.length = 0;
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => c.operation).sort()).toEqual(['droplets.list', 'records.list']);
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 300_000 }, async () => {
    for (const n of [1, 2, 3]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2, 1);
      try {
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.stderr).toBe('');
        expect(crashed.signal).toBe('SIGKILL');
        const again = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
        expect(again.code).toBe(0);
        assertNoDuplicate(fake, 2);
        if (again.stdout.includes('Waiting (nothing is planned for these yet)')) await reconcileLater(ws);
        await assertConverged(fake, ws, 2, n === 1);

        if (n <= 2) {
          const file = join(ws.config, 'do.yaml');
          writeFileSync(file, readFileSync(file, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 0'));
          const down = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: String(n) });
          expect(down.signal).toBe('SIGKILL');
          const finish = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
          expect(finish.code).toBe(0);
          await assertConverged(fake, ws, 0);
        }
      } finally {
        await fake.close();
        rmSync(ws.root, { recursive: true, force: true });
      }
    }
  });

  it('a kill during parallel creates: no duplicate droplet, the next apply (and a later reconcile) converges', { timeout: 120_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 3);
    try {
      const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: '1' });
      expect(crashed.signal).toBe('SIGKILL');
      const again = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
      expect(again.code).toBe(0);
      assertNoDuplicate(fake, 3);
      if (again.stdout.includes('Waiting (nothing is planned for these yet)')) await reconcileLater(ws);
      await assertConverged(fake, ws, 3);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('a region/size refusal (422) fails only its droplet and backs the autoscaler off; later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 3);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      let shift = 0;
      const now = () => Date.now() + shift;
      const deps = {
        config,
        store,
        registry: registryFor(config, ws, now),
        clock: () => new Date(now()),
        idGen: createSeededIdGen(5),
        newId: randomUUID,
        env: ws.env,
        apiAddress: '127.0.0.1:9',
      };
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
      rmSync(ws.root, { recursive: true, force: true });
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
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});
