// plan/apply/crash with the OpenStack provider, end to end: `node bin/poolform.js
// apply` as a child process against the Keystone + Nova fake on loopback (the
// provider's own HTTP client needs nothing but the auth URL and the password
// from the environment), SIGKILLed right after each of its mutating provider
// calls (POOLFORM_CRASH_AFTER=N); the next apply must converge: no duplicate
// server, no orphaned boot volume, and plan then has nothing to do. The same
// for a scale-down to zero. In-process: steady state costs one listing,
// rejected credentials are a plan error naming the provider, a capacity
// refusal ("No valid host was found") creates nothing and the pool completes
// later.
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createOpenStackVmProvider, META_INTENT_ID, META_SERVER_ID } from '../src/providers/openstack/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { FAST_OPENSTACK_TUNING } from './fakes/openstack/harness.ts';
import { FAKE_IMAGE, FAKE_NETWORK, FAKE_USER, type FakeOpenStack, startFakeOpenStack } from './fakes/openstack/server.ts';
import {
  applyInProcess,
  type ApplyWorkspace,
  convergedVmIds,
  type CrashChecks,
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

function configText(fake: FakeOpenStack, sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: osp
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: osp
type: openstack
max_instances: 10
auth_url: ${fake.authUrl}
username: ${FAKE_USER.name}
password: \${env:OS_PASSWORD}
project_name: ${FAKE_USER.project}
region_name: RegionOne
flavor: m1.small
image_id: ${FAKE_IMAGE}
networks: [${FAKE_NETWORK}]
boot_from_volume: true
volume_size_gb: 20
startup_script: |
  #!/bin/sh
  echo {server_id}
`;
}

function workspace(fake: FakeOpenStack, sessions: number): ApplyWorkspace {
  return createApplyWorkspace({
    prefix: 'poolform-openstack-apply-',
    fileName: 'openstack.yaml',
    text: configText(fake, sessions),
    env: { OS_PASSWORD: FAKE_USER.password },
  });
}

function registryFor(ws: ApplyWorkspace) {
  return (config: Config, now?: () => number): ProviderRegistry =>
    createProviderRegistry({
      config,
      stateDir: ws.state,
      env: ws.env,
      factories: { openstackVm: (options) => createOpenStackVmProvider({ ...options, ...FAST_OPENSTACK_TUNING, ...(now ? { now } : {}) }) },
    });
}

/** One in-process reconcile, optionally with the clock shifted (past the wait for an intent whose create never reached Nova). */
async function reconcile(ws: ApplyWorkspace, shiftMs = 0): Promise<void> {
  await reconcileLater(ws, registryFor(ws), { shiftMs, seed: Math.floor(Math.random() * 1e6) });
}

async function assertConverged(fake: FakeOpenStack, ws: ApplyWorkspace, expected: number): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  expect(vmIds).toHaveLength(expected);
  const servers = [...fake.servers.values()];
  expect(servers.map((s) => s.metadata[META_SERVER_ID]).sort()).toEqual(vmIds);
  // No orphaned volume: exactly one boot volume per server.
  expect([...fake.volumes.values()].map((v) => v.server).sort()).toEqual(servers.map((s) => s.id).sort());
  await expectNoChanges(ws, registryFor(ws));
}

function assertNoDuplicate(fake: FakeOpenStack, wanted: number): void {
  expectNoDuplicate(
    [...fake.servers.values()].map((s) => s.metadata[META_INTENT_ID]),
    wanted,
  );
}

// No waiting in the child: servers are ACTIVE on the first read and gone on the first read after DELETE.
const fakeFor = () => startFakeOpenStack({ buildPolls: 0, deletePolls: 0 });

describe('apply with the OpenStack provider', () => {
  it('an in-process apply creates 2 servers with boot volumes; steady state costs one listing and no new token', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const applied = await applyInProcess(ws, registryFor(ws)).catch(async (err: unknown) => {
      await fake.close();
      removeWorkspace(ws);
      throw err;
    });
    try {
      expect(applied.mutating).toBe(2);
      expect(fake.servers.size).toBe(2);
      expect(fake.volumes.size).toBe(2);
      fake.calls.length = 0;
      const again = await applied.replan();
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => c.operation)).toEqual(['nova.servers.list']);
    } finally {
      await applied.close();
      await fake.close();
      removeWorkspace(ws);
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
        expect(again.stderr).not.toContain(FAKE_USER.password);

        if (n === 1) {
          // Scale to zero: one destroy call for both servers.
          await crashScaleDownThenConverge(ws, 1, 2, checks);
          expect(fake.volumes.size).toBe(0);
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
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await loadWorkspaceConfig(ws);
      fake.rejectAuth(true);
      const { plan } = await planOnce({ config, store, registry: registryFor(ws)(config), clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider osp: OpenStack \(Keystone\) rejected the credentials/);
      expect(text).not.toContain(FAKE_USER.password);
      expect(fake.count('nova.servers.create')).toBe(0);
    } finally {
      await store.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('"No valid host was found" fails only its server, leaves no server or volume behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.inject({ method: 'POST', path: '/servers', serverFault: 'No valid host was found. There are not enough hosts available.' });
      const config = await loadWorkspaceConfig(ws);
      const store = await createSqliteStore({ path: ws.state });
      try {
        const round = await reconcileOnce(shiftedDeps(ws, config, store, registryFor(ws), () => 0));
        expect(round.applied.failures.map((f) => f.code)).toEqual(['openstack-insufficient-capacity']);
        expect(fake.servers.size).toBe(1);
        expect(fake.volumes.size).toBe(1);
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
