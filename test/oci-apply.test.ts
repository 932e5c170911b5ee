// plan/apply/crash with the OCI providers, end to end: `node bin/poolform.js
// apply` (a real child process) against the OCI fake over loopback HTTP,
// requests signed with an API key given as a `${file:}` reference. The apply
// is SIGKILLed right after each of its mutating provider calls
// (POOLFORM_CRASH_AFTER=N); the next apply must converge with no duplicate
// instance, no instance left running without state, no orphaned DNS record,
// and `plan` must then say "No changes.". The same for a scale-down to zero.
// In-process applies measure N, the steady-state listing budget, and the
// back-off after a capacity refusal.
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
import { createOciDnsProvider } from '../src/providers/oci-dns/index.ts';
import { createOciVmProvider } from '../src/providers/oci/index.ts';
import { TAG_SERVER } from '../src/providers/oci/tags.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { AD, COMPARTMENT, FINGERPRINT, IMAGE, SUBNET, startFake, TENANCY, testKeys, USER } from './fakes/oci/harness.ts';
import type { FakeOci } from './fakes/oci/server.ts';
import { runChild } from './fixtures/plan/harness.ts';

const BASE = 'desk.oci.test';

interface Ws {
  root: string;
  config: string;
  state: string;
  env: Record<string, string>;
}

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

function workspace(fake: FakeOci, sessions: number, concurrency?: number): Ws {
  const root = mkdtempSync(join(tmpdir(), 'poolform-oci-apply-'));
  const config = join(root, 'config');
  mkdirSync(config);
  writeFileSync(join(config, 'oci.yaml'), configText(fake, sessions, concurrency));
  writeFileSync(join(config, 'oci_api_key.pem'), testKeys().privateKey);
  return { root, config, state: join(root, 'state'), env: {} };
}

async function fakeFor(): Promise<FakeOci> {
  // readsToRunning 0: RUNNING on the first GetInstance, so the child's 5 s default poll interval never runs.
  return await startFake({ readsToRunning: 0, readsToTerminated: 0, zones: [BASE] });
}

const instant = async (): Promise<void> => undefined;

function registryFor(config: NonNullable<Awaited<ReturnType<typeof loadConfig>>['config']>, ws: Ws, now?: () => number): ProviderRegistry {
  return createProviderRegistry({
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
async function assertConverged(fake: FakeOci, ws: Ws, expected: number, cli = false): Promise<void> {
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
  if (cli) {
    const plan = await runChild(['plan', ws.config, '--state', ws.state, '--detailed-exitcode'], ws.env);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
    return;
  }
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error('config invalid');
  const planStore = await createSqliteStore({ path: ws.state });
  try {
    const { plan } = await planOnce({
      config: loaded.config,
      store: planStore,
      registry: registryFor(loaded.config, ws),
      clock: () => new Date(),
      idGen: createSeededIdGen(13),
    });
    expect(plan.changes).toEqual([]);
  } finally {
    await planStore.close();
  }
}

/** One reconcile round in-process, 16 minutes "later": past the grace in which the planner waits for a VM an interrupted apply may have started. */
async function reconcileLater(ws: Ws): Promise<void> {
  const later = () => Date.now() + 16 * 60_000;
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error('config invalid');
  const store = await createSqliteStore({ path: ws.state });
  try {
    const round = await reconcileOnce({
      config: loaded.config,
      store,
      registry: registryFor(loaded.config, ws, later),
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

function assertNoDuplicate(fake: FakeOci, wanted: number): void {
  const servers = liveInstances(fake).map((i) => i.freeformTags[TAG_SERVER]);
  expect(new Set(servers).size).toBe(servers.length);
  expect(servers.length).toBeLessThanOrEqual(wanted);
}

describe('apply with the OCI providers', () => {
  it('an in-process apply creates 2 instances and their records with 3 mutating calls; steady state costs one listing per provider', {
    timeout: 60_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const loaded = await loadConfig(ws.config);
      if (!loaded.config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
      const config = loaded.config;
      const { registry, counter } = withCallCounter(registryFor(config, ws));
      const deps = { config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3) };
      const { plan } = await planOnce(deps);
      counter.reset();
      const result = await applyPlan(plan, { ...deps, newId: randomUUID, env: ws.env, apiAddress: '127.0.0.1:9' });
      expect(result.failures).toEqual([]);
      expect(counter.mutating).toBe(3);
      expect(liveInstances(fake)).toHaveLength(2);
      fake.calls.length = 0;
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => `${c.method} ${c.path}`).sort()).toEqual([`GET /20160918/instances`, `GET /20180115/zones/${BASE}/records`]);
    } finally {
      await store.close();
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 400_000 }, async () => {
    for (const n of [1, 2, 3]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2, 1);
      try {
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.stderr).toBe('');
        expect(crashed.signal).toBe('SIGKILL');
        const again = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
        // (stderr holds the warning about the killed apply's stale state lock)
        expect(again.code).toBe(0);
        assertNoDuplicate(fake, 2);
        if (again.stdout.includes('Waiting (nothing is planned for these yet)')) await reconcileLater(ws);
        await assertConverged(fake, ws, 2, n === 1);

        if (n <= 2) {
          const file = join(ws.config, 'oci.yaml');
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

  it('a kill while two launches run in parallel: no duplicate, the next applies converge', { timeout: 120_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: '1' });
      expect(crashed.signal).toBe('SIGKILL');
      const again = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
      expect(again.code).toBe(0);
      assertNoDuplicate(fake, 2);
      await reconcileLater(ws);
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('"Out of host capacity" fails only its instance and backs the autoscaler off (no create/delete loop); later the pool completes', {
    timeout: 60_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 3);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const loaded = await loadConfig(ws.config);
      if (!loaded.config) throw new Error('config invalid');
      const config = loaded.config;
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
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('plan with an API key OCI does not know is a plan error naming the provider, without the key', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 1);
    try {
      const file = join(ws.config, 'oci.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(FINGERPRINT, '11:11:11:11:11:11:11:11:11:11:11:11:11:11:11:11'));
      const plan = await runChild(['plan', ws.config, '--state', ws.state], ws.env);
      expect(plan.code).not.toBe(0);
      expect(plan.stderr).toMatch(/(VmProvider oci|DnsProvider ocidns).*NotAuthenticated/s);
      expect(`${plan.stdout}${plan.stderr}`).not.toContain('PRIVATE KEY');
      expect(fake.instances.size).toBe(0);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});
