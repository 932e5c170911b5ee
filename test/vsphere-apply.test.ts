// plan/apply/crash with the vSphere provider, end to end: `node bin/poolform.js
// apply` as a child process against the Automation REST fake on loopback,
// SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge: no duplicate VM (one
// per server id), and plan then has nothing to do. The same for a
// scale-down to zero. In-process: steady state costs one VM list call and no
// new login; rejected credentials are a plan error naming the provider; a
// capacity refusal creates nothing and the pool completes later.
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createVsphereVmProvider, parseVmName } from '../src/providers/vsphere/index.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { FAST_VSPHERE_TUNING } from './fakes/vsphere/harness.ts';
import { FAKE_VSPHERE_USER, type FakeVsphere, startFakeVsphere } from './fakes/vsphere/server.ts';
import {
  type ApplyWorkspace,
  applyInProcess,
  type CrashChecks,
  convergedVmIds,
  crashCreateThenConverge,
  crashScaleDownThenConverge,
  createApplyWorkspace,
  expectNoChanges,
  expectNoDuplicate,
  loadWorkspaceConfig,
  reconcileLater,
  removeWorkspace,
  shiftedDeps,
} from './support/provider-apply-harness.ts';

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

function workspace(fake: FakeVsphere, sessions: number): ApplyWorkspace {
  return createApplyWorkspace({
    prefix: 'poolform-vsphere-apply-',
    fileName: 'vsphere.yaml',
    text: configText(fake, sessions),
    env: { VSPHERE_PASSWORD: FAKE_VSPHERE_USER.password },
  });
}

function registryFor(ws: ApplyWorkspace) {
  return (config: Config, now?: () => number): ProviderRegistry =>
    createProviderRegistry({
      config,
      stateDir: ws.state,
      env: ws.env,
      factories: { vsphereVm: (options) => createVsphereVmProvider({ ...options, ...FAST_VSPHERE_TUNING, ...(now ? { now } : {}) }) },
    });
}

async function reconcile(ws: ApplyWorkspace, shiftMs = 0): Promise<void> {
  await reconcileLater(ws, registryFor(ws), { shiftMs, seed: Math.floor(Math.random() * 1e6) });
}

const ownedServerIds = (fake: FakeVsphere): string[] =>
  [...fake.vms.values()].map((v) => parseVmName('vc', v.name)?.server_id).filter((id): id is string => id !== undefined);

async function assertConverged(fake: FakeVsphere, ws: ApplyWorkspace, expected: number): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  expect(vmIds).toHaveLength(expected);
  expect(ownedServerIds(fake).sort()).toEqual(vmIds);
  expect([...fake.vms.values()].every((v) => v.power_state === 'POWERED_ON')).toBe(true);
  await expectNoChanges(ws, registryFor(ws));
}

function assertNoDuplicate(fake: FakeVsphere, wanted: number): void {
  expectNoDuplicate(ownedServerIds(fake), wanted);
}

// No waiting in the child: a started VM reports POWERED_ON on the first read.
const fakeFor = () => startFakeVsphere({ powerOnPolls: 0 });

describe('apply with the vSphere provider', () => {
  it('an in-process apply creates 2 VMs; steady state costs one VM list call and no new login', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const applied = await applyInProcess(ws, registryFor(ws)).catch(async (err: unknown) => {
      await fake.close();
      removeWorkspace(ws);
      throw err;
    });
    try {
      expect(applied.mutating).toBe(2);
      expect(fake.vms.size).toBe(2);
      expect([...fake.vms.values()].every((v) => v.userdata?.includes('echo ') === true)).toBe(true);
      expect((await applied.replan()).plan.changes).toEqual([]);
      fake.calls.clear();
      const again = await applied.replan();
      expect(again.plan.changes).toEqual([]);
      expect(Object.fromEntries(fake.calls)).toEqual({ 'GET /api/vcenter/vm': 1 });
    } finally {
      await applied.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges', { timeout: 300_000 }, async () => {
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
        expect(again.stderr).not.toContain(FAKE_VSPHERE_USER.password);

        if (n === 1) {
          await crashScaleDownThenConverge(ws, 1, 2, checks);
          expect(fake.vms.size).toBe(0);
        }
      } finally {
        await fake.close();
        removeWorkspace(ws);
      }
    }
  });

  it('rejected credentials are a plan error naming the provider; nothing is created', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    ws.env = { VSPHERE_PASSWORD: 'not-the-password' };
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await loadWorkspaceConfig(ws);
      const { plan } = await planOnce({ config, store, registry: registryFor(ws)(config), clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider vc: vCenter rejected the credentials/);
      expect(text).not.toContain('not-the-password');
      expect(fake.count('POST /api/vcenter/vm?action=clone')).toBe(0);
    } finally {
      await store.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('a capacity refusal fails only its VM, leaves nothing behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.inject({ method: 'POST', path: '/power?action=start', error_type: 'UNABLE_TO_ALLOCATE_RESOURCE', message: 'Insufficient resources.' });
      const config = await loadWorkspaceConfig(ws);
      const store = await createSqliteStore({ path: ws.state });
      try {
        const round = await reconcileOnce(shiftedDeps(ws, config, store, registryFor(ws), () => 0));
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
      removeWorkspace(ws);
    }
  });
});
