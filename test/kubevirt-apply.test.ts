// plan/apply/crash with the KubeVirt provider, end to end: `node bin/poolform.js
// apply` as a child process against the fake Kubernetes API (HTTPS, the
// kubeconfig carries the test CA and token), SIGKILLed right after each of its
// mutating provider calls (POOLFORM_CRASH_AFTER=N); the next apply must
// converge: no duplicate VM, no orphaned Secret / DataVolume / VMI, and plan
// then has nothing to do. The same for a scale-down to zero. In-process:
// steady state costs one VM listing and one VMI listing, rejected credentials
// are a plan error naming the provider, a ResourceQuota refusal creates
// nothing and the pool completes later.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { ANNOTATION_INTENT, ANNOTATION_SERVER, createKubevirtVmProvider } from '../src/providers/kubevirt/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { kubeconfigFor, NAMESPACE, startSecureFakeKube } from './fakes/kubernetes/harness.ts';
import type { FakeKube } from './fakes/kubernetes/server.ts';
import {
  type ApplyWorkspace,
  type CrashChecks,
  crashCreateThenConverge,
  crashScaleDownThenConverge,
  createApplyWorkspace,
  loadWorkspaceConfig,
  reconcileLater,
} from './support/provider-apply-harness.ts';

type Ws = ApplyWorkspace;

function configText(sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: kv
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: kv
type: kubevirt
max_instances: 10
kubeconfig: \${file:kubeconfig}
namespace: ${NAMESPACE}
boot_source:
  http_url: https://images.example.com/ubuntu.qcow2
disk_size: 20Gi
cpu_cores: 2
memory: 4Gi
startup_script: |
  #cloud-config
  runcmd: [echo {server_id}]
`;
}

function workspace(fake: FakeKube, sessions: number, token?: string): Ws {
  return createApplyWorkspace({
    prefix: 'poolform-kubevirt-apply-',
    fileName: 'kubevirt.yaml',
    text: configText(sessions),
    configFiles: { kubeconfig: kubeconfigFor(fake, token !== undefined ? { token } : {}) },
  });
}

const load = loadWorkspaceConfig;

const instant = async (): Promise<void> => {};

function registryFor(config: Config, ws: Ws, now?: () => number): ProviderRegistry {
  return createProviderRegistry({
    config,
    stateDir: ws.state,
    env: {},
    factories: {
      kubevirtVm: (options) => createKubevirtVmProvider({ ...options, sleep: instant, retry: { sleep: instant }, ...(now ? { now } : {}) }),
    },
  });
}

async function reconcile(ws: Ws, shiftMs = 0): Promise<void> {
  await reconcileLater(ws, (config, now) => registryFor(config, ws, now), { shiftMs, seed: Math.floor(Math.random() * 1e6) });
}

const vms = (fake: FakeKube) => fake.objects('virtualmachines', NAMESPACE);

async function assertConverged(fake: FakeKube, ws: Ws, expected: number): Promise<void> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    const ids = snap.resources
      .filter((r) => r.type === 'vm')
      .map((r) => String(r.attributes['server_id']))
      .sort();
    expect(ids).toHaveLength(expected);
    expect(
      vms(fake)
        .map((v) => v.metadata.annotations?.[ANNOTATION_SERVER])
        .sort(),
    ).toEqual(ids);
    // No orphans: one Secret, one DataVolume, at most one VMI per VM, each named after it.
    const names = new Set(vms(fake).map((v) => v.metadata.name));
    for (const plural of ['secrets', 'datavolumes', 'virtualmachineinstances']) {
      for (const o of fake.objects(plural, NAMESPACE)) expect(names.has(o.metadata.name.replace(/-(cloudinit|rootdisk)$/, ''))).toBe(true);
    }
    expect(fake.objects('secrets', NAMESPACE)).toHaveLength(expected);
    expect(fake.objects('datavolumes', NAMESPACE)).toHaveLength(expected);
    const config = await load(ws);
    const { plan } = await planOnce({ config, store, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(13) });
    expect(plan.changes).toEqual([]);
  } finally {
    await store.close();
  }
}

function assertNoDuplicate(fake: FakeKube, wanted: number): void {
  const intents = vms(fake).map((v) => v.metadata.annotations?.[ANNOTATION_INTENT]);
  expect(new Set(intents).size).toBe(intents.length);
  expect(intents.length).toBeLessThanOrEqual(wanted);
}

// The VMI runs on its first read: no waiting in the child.
const fakeFor = () => startSecureFakeKube({ startAfterPolls: 1 });

describe('apply with the KubeVirt provider', () => {
  it('an in-process apply creates 2 VMs; steady state costs one VM listing and one VMI listing', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const { registry, counter } = withCallCounter(registryFor(config, ws));
      const deps = { config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3) };
      const { plan } = await planOnce(deps);
      counter.reset();
      const result = await applyPlan(plan, { ...deps, newId: randomUUID, env: {}, apiAddress: '127.0.0.1:9' });
      expect(result.failures).toEqual([]);
      expect(counter.mutating).toBe(2);
      expect(vms(fake)).toHaveLength(2);
      fake.calls.length = 0;
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => `${c.method} ${c.plural}`)).toEqual(['GET virtualmachines', 'GET virtualmachineinstances']);
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
        await crashCreateThenConverge(ws, n, 2, checks);
        if (n === 1) await crashScaleDownThenConverge(ws, 1, 2, checks);
      } finally {
        await fake.close();
        rmSync(ws.root, { recursive: true, force: true });
      }
    }
  });

  it('rejected credentials are a plan error naming the provider; nothing is created', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2, 'revoked-token');
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const { plan } = await planOnce({ config, store, registry: registryFor(config, ws), clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider kv \(kubevirt\): the Kubernetes API rejected the credentials/);
      expect(text).not.toContain('revoked-token');
      expect(fake.calls.filter((c) => c.method === 'POST')).toEqual([]);
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('a ResourceQuota refusal fails only its server, leaves nothing behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.setVmQuota(1);
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
          env: {},
          apiAddress: '127.0.0.1:9',
        });
        expect(round.applied.failures.map((f) => f.code)).toEqual(['kubevirt-quota-exceeded']);
        expect(vms(fake)).toHaveLength(1);
        expect(fake.objects('secrets', NAMESPACE)).toHaveLength(1);
        expect((await store.snapshot()).intents).toEqual([]);
      } finally {
        await store.close();
      }
      fake.setVmQuota(undefined);
      await reconcile(ws, 60 * 60_000);
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});
