// plan/apply/crash with the vSphere provider, end to end: `node bin/poolform.js
// apply` as a child process against the Automation REST fake on loopback,
// SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge: no duplicate VM (one
// per server id), and plan then has nothing to do. The same for a
// scale-down to zero. In-process: steady state costs one VM list call and no
// new login; rejected credentials are a plan error naming the provider; a
// capacity refusal creates nothing and the pool completes later.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createVsphereVmProvider, parseVmName } from '../src/providers/vsphere/index.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { runChild } from './fixtures/plan/harness.ts';
import { FAST_VSPHERE_TUNING } from './fakes/vsphere/harness.ts';
import { FAKE_VSPHERE_USER, type FakeVsphere, startFakeVsphere } from './fakes/vsphere/server.ts';

interface Ws {
  root: string;
  config: string;
  state: string;
  env: Record<string, string>;
}

function configText(fake: FakeVsphere, sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: vc
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: vc
type: vsphere
max_instances: 10
vcenter_url: ${fake.url}
username: ${FAKE_VSPHERE_USER.username}
password: \${env:VSPHERE_PASSWORD}
datacenter: dc-1
template: ubuntu-2404-template
folder: poolform
resource_pool: rp-desktops
startup_script: |
  #!/bin/sh
  echo {server_id}
`;
}

function workspace(fake: FakeVsphere, sessions: number): Ws {
  const root = mkdtempSync(join(tmpdir(), 'poolform-vsphere-apply-'));
  const config = join(root, 'config');
  mkdirSync(config);
  writeFileSync(join(config, 'vsphere.yaml'), configText(fake, sessions));
  return { root, config, state: join(root, 'state'), env: { VSPHERE_PASSWORD: FAKE_VSPHERE_USER.password } };
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
    factories: { vsphereVm: (options) => createVsphereVmProvider({ ...options, ...FAST_VSPHERE_TUNING, ...(now ? { now } : {}) }) },
  });
}

async function reconcile(ws: Ws, shiftMs = 0): Promise<void> {
  const config = await load(ws);
  const later = () => Date.now() + shiftMs;
  const store = await createSqliteStore({ path: ws.state });
  try {
    const round = await reconcileOnce({
      config,
      store,
      registry: registryFor(config, ws, later),
      clock: () => new Date(later()),
      idGen: createSeededIdGen(Math.floor(Math.random() * 1e6)),
      newId: randomUUID,
      env: ws.env,
      apiAddress: '127.0.0.1:9',
    });
    expect(round.applied.failures).toEqual([]);
  } finally {
    await store.close();
  }
}

const ownedServerIds = (fake: FakeVsphere): string[] =>
  [...fake.vms.values()].map((v) => parseVmName('vc', v.name)?.server_id).filter((id): id is string => id !== undefined);

async function assertConverged(fake: FakeVsphere, ws: Ws, expected: number): Promise<void> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    const vmIds = snap.resources
      .filter((r) => r.type === 'vm')
      .map((r) => String(r.attributes['server_id']))
      .sort();
    expect(vmIds).toHaveLength(expected);
    expect(ownedServerIds(fake).sort()).toEqual(vmIds);
    expect([...fake.vms.values()].every((v) => v.power_state === 'POWERED_ON')).toBe(true);
    const config = await load(ws);
    const { plan } = await planOnce({ config, store, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(13) });
    expect(plan.changes).toEqual([]);
  } finally {
    await store.close();
  }
}

function assertNoDuplicate(fake: FakeVsphere, wanted: number): void {
  const ids = ownedServerIds(fake);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBeLessThanOrEqual(wanted);
}

// No waiting in the child: a started VM reports POWERED_ON on the first read.
const fakeFor = () => startFakeVsphere({ powerOnPolls: 0 });

describe('apply with the vSphere provider', () => {
  it('an in-process apply creates 2 VMs; steady state costs one VM list call and no new login', { timeout: 60_000 }, async () => {
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
      expect([...fake.vms.values()].every((v) => v.userdata?.includes('echo ') === true)).toBe(true);
      expect((await planOnce(deps)).plan.changes).toEqual([]);
      fake.calls.clear();
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(Object.fromEntries(fake.calls)).toEqual({ 'GET /api/vcenter/vm': 1 });
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges', { timeout: 300_000 }, async () => {
    for (const n of [1, 2]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2);
      try {
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.stderr).toBe('');
        expect(crashed.signal).toBe('SIGKILL');
        const again = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
        expect(again.stderr).not.toContain(FAKE_VSPHERE_USER.password);
        expect(again.code).toBe(0);
        assertNoDuplicate(fake, 2);
        if (again.stdout.includes('Waiting (nothing is planned for these yet)')) await reconcile(ws, 16 * 60_000);
        await assertConverged(fake, ws, 2);

        if (n === 1) {
          const file = join(ws.config, 'vsphere.yaml');
          writeFileSync(file, readFileSync(file, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 0'));
          const down = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: '1' });
          expect(down.signal).toBe('SIGKILL');
          const finish = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
          expect(finish.code).toBe(0);
          await assertConverged(fake, ws, 0);
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
    ws.env = { VSPHERE_PASSWORD: 'not-the-password' };
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const { plan } = await planOnce({ config, store, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider vc: vCenter rejected the credentials/);
      expect(text).not.toContain('not-the-password');
      expect(fake.count('POST /api/vcenter/vm?action=clone')).toBe(0);
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('a capacity refusal fails only its VM, leaves nothing behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.inject({ method: 'POST', path: '/power?action=start', error_type: 'UNABLE_TO_ALLOCATE_RESOURCE', message: 'Insufficient resources.' });
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
        expect(round.applied.failures.map((f) => f.code)).toEqual(['vsphere-insufficient-capacity']);
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
