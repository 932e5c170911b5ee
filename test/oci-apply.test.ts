// plan/apply/crash with the OCI providers, end to end: `node bin/poolform.js
// apply` (a real child process) against the OCI fake over loopback HTTP,
// requests signed with an API key given as a `${file:}` reference. The apply
// is SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge with no duplicate
// instance, no instance left running without state, no orphaned DNS record,
// and `plan` must then say "No changes.". The same for a scale-down to zero.
// In-process applies measure N, the steady-state listing budget, and the
// back-off after a capacity refusal.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createOciDnsProvider } from '../src/providers/oci-dns/index.ts';
import { createOciVmProvider } from '../src/providers/oci/index.ts';
import { TAG_SERVER } from '../src/providers/oci/tags.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { AD, COMPARTMENT, FINGERPRINT, IMAGE, SUBNET, startFake, TENANCY, testKeys, USER } from './fakes/oci/harness.ts';
import type { FakeOci } from './fakes/oci/server.ts';
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
  loadWorkspaceConfig,
  reconcileLater,
  removeWorkspace,
  shiftedDeps,
} from './support/provider-apply-harness.ts';

const BASE = 'desk.oci.test';

function configText(fake: FakeOci, sessions: number, concurrency: number | undefined): string {
  const settings = concurrency === undefined ? '' : `kind: Settings\nprovider_concurrency: ${concurrency}\n---\n`;
  const signing = `tenancy_ocid: ${TENANCY}
user_ocid: ${USER}
fingerprint: ${FINGERPRINT}
private_key: \${file:oci_api_key.pem}
region: us-ashburn-1
compartment_id: ${COMPARTMENT}
endpoint: ${fake.url}`;
  return `${settings}kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: oci
    dns_provider: ocidns
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
name: oci
type: oci
max_instances: 10
${signing}
availability_domain: ${AD}
shape: VM.Standard.E5.Flex
shape_config: { ocpus: 1, memory_in_gbs: 8 }
image_id: ${IMAGE}
subnet_id: ${SUBNET}
startup_script: |
  #!/bin/sh
  echo {server_id}
---
kind: DnsProvider
name: ocidns
type: oci
${signing}
`;
}

function workspace(fake: FakeOci, sessions: number, concurrency?: number): ApplyWorkspace {
  return createApplyWorkspace({
    prefix: 'poolform-oci-apply-',
    fileName: 'oci.yaml',
    text: configText(fake, sessions, concurrency),
    configFiles: { 'oci_api_key.pem': testKeys().privateKey },
  });
}

async function fakeFor(): Promise<FakeOci> {
  // readsToRunning 0: RUNNING on the first GetInstance, so the child's 5 s default poll interval never runs.
  return await startFake({ readsToRunning: 0, readsToTerminated: 0, zones: [BASE] });
}

const instant = async (): Promise<void> => undefined;

function registryFor(ws: ApplyWorkspace) {
  return (config: Config, now?: () => number): ProviderRegistry =>
    createProviderRegistry({
      config,
      stateDir: ws.state,
      env: ws.env,
      factories: {
        ociVm: (options) => createOciVmProvider({ ...options, sleep: instant, pollIntervalMs: 1, ...(now ? { now } : {}) }),
        ociDns: (options) => createOciDnsProvider({ ...options, sleep: instant }),
      },
    });
}

const liveInstances = (fake: FakeOci) => [...fake.instances.values()].filter((i) => i.lifecycleState !== 'TERMINATED' && i.lifecycleState !== 'TERMINATING');

/** Converged: state, the fake's live instances and A records all agree, and plan has nothing to do. */
async function assertConverged(fake: FakeOci, ws: ApplyWorkspace, expected: number, cli = false): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  const live = liveInstances(fake);
  expect(live.map((i) => i.freeformTags[TAG_SERVER]).sort()).toEqual(vmIds);
  expect(vmIds).toHaveLength(expected);
  // Every terminated instance took its boot volume with it.
  for (const i of fake.instances.values()) if (!live.includes(i)) expect(i.preserveBootVolume).toBe(false);
  // One A record (and its marker) per instance, at its private address.
  const records = fake.zones.get(BASE)?.records ?? [];
  const a = records.filter((r) => r.rtype === 'A');
  expect(a.map((r) => r.rdata).sort()).toEqual(live.map((i) => i.privateIp).sort());
  expect(records.filter((r) => r.rtype === 'TXT').length).toBe(a.length);
  if (cli) await expectCliNoChanges(ws);
  else await expectNoChanges(ws, registryFor(ws));
}

function assertNoDuplicate(fake: FakeOci, wanted: number): void {
  expectNoDuplicate(
    liveInstances(fake).map((i) => i.freeformTags[TAG_SERVER]),
    wanted,
  );
}

const crashChecks = (fake: FakeOci, ws: ApplyWorkspace, wanted: number): CrashChecks => ({
  noDuplicate: () => assertNoDuplicate(fake, wanted),
  reconcileLater: () => reconcileLater(ws, registryFor(ws)),
  converged: (expected, cli) => assertConverged(fake, ws, expected, cli),
});

describe('apply with the OCI providers', () => {
  it('an in-process apply creates 2 instances and their records with 3 mutating calls; steady state costs one listing per provider', {
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
      expect(liveInstances(fake)).toHaveLength(2);
      fake.calls.length = 0;
      const again = await applied.replan();
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => `${c.method} ${c.path}`).sort()).toEqual([`GET /20160918/instances`, `GET /20180115/zones/${BASE}/records`]);
    } finally {
      await applied.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 400_000 }, async () => {
    for (const n of [1, 2, 3]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2, 1);
      try {
        // (the next apply's stderr holds the warning about the killed apply's stale state lock)
        const checks = crashChecks(fake, ws, 2);
        await crashCreateThenConverge(ws, n, 2, checks, { cli: n === 1 });
        if (n <= 2) await crashScaleDownThenConverge(ws, n, 2, checks);
      } finally {
        await fake.close();
        removeWorkspace(ws);
      }
    }
  });

  it('a kill while two launches run in parallel: no duplicate, the next applies converge', { timeout: 120_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      await expectKilledApply(ws, 1, { cleanStderr: false });
      await expectApply(ws);
      assertNoDuplicate(fake, 2);
      await reconcileLater(ws, registryFor(ws));
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('"Out of host capacity" fails only its instance and backs the autoscaler off (no create/delete loop); later the pool completes', {
    timeout: 60_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 3);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await loadWorkspaceConfig(ws);
      let shift = 0;
      const deps = shiftedDeps(ws, config, store, registryFor(ws), () => shift);
      fake.inject({ method: 'POST', path: '/20160918/instances', status: 500, code: 'InternalError', message: 'Out of host capacity.' });
      const first = await reconcileOnce(deps);
      expect(first.applied.failures).toHaveLength(1);
      expect(first.applied.failures[0]).toMatchObject({ code: 'oci-insufficient-capacity' });
      expect(liveInstances(fake)).toHaveLength(2);
      const snap = await store.snapshot();
      expect(snap.intents).toEqual([]);
      expect(snap.history['agents/fleet']).toMatchObject({ create_errors: 1 });
      shift = 30_000;
      const held = await planOnce(deps);
      expect(held.plan.changes).toEqual([]);
      expect(held.plan.decisions.find((d) => d.action === 'hold')?.cause).toBe('backoff');
      shift = 3 * 60_000;
      const second = await reconcileOnce(deps);
      expect(second.applied.failures).toEqual([]);
      expect(liveInstances(fake)).toHaveLength(3);
      expect(fake.zones.get(BASE)?.records.filter((r) => r.rtype === 'A')).toHaveLength(3);
    } finally {
      await store.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('plan with an API key OCI does not know is a plan error naming the provider, without the key', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 1);
    try {
      writeFileSync(ws.file, readFileSync(ws.file, 'utf8').replaceAll(FINGERPRINT, '11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11'));
      const plan = await runChild(['plan', ws.config, '--state', ws.state], ws.env);
      expect(plan.code).not.toBe(0);
      expect(plan.stderr).toMatch(/(VmProvider oci|DnsProvider ocidns).*NotAuthenticated/s);
      expect(`${plan.stdout}${plan.stderr}`).not.toContain('PRIVATE KEY');
      expect(fake.instances.size).toBe(0);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });
});
