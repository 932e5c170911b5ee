// plan/apply/crash with the GCP providers, end to end in-process: the real
// planner, apply engine and SQLite state against the Compute Engine + Cloud
// DNS fake. The apply "dies" right after each of its mutating provider calls
// (withCrashAfter, the POOLFORM_CRASH_AFTER hook, with a kill that freezes
// every later call instead of SIGKILL); a new apply with new provider clients
// (a new process) must converge: no duplicate instance, no orphaned boot disk
// or DNS record, and plan then has nothing to do. The same for a scale-down
// to zero. These run in-process (fast, every crash point); one more runs the
// real thing: `node bin/poolform.js apply` as a child process, SIGKILLed
// after its first mutating call, authenticated through Application Default
// Credentials (GOOGLE_APPLICATION_CREDENTIALS: an external_account file whose
// STS token_url is the fake; a service-account key cannot be used because
// google-auth-library sends JWT grants only to oauth2.googleapis.com).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCrashAfter } from '../src/providers/crash-after.ts';
import { createGcpVmProvider, type GcpAuthClient } from '../src/providers/gcp/index.ts';
import { createGcpDnsProvider } from '../src/providers/gcp-dns/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { FAST_GCP_TUNING, staticTokenAuth } from './fakes/gcp/harness.ts';
import { type FakeGcp, startFakeGcp } from './fakes/gcp/server.ts';
import {
  applyInProcess,
  type ApplyWorkspace,
  convergedVmIds,
  createApplyWorkspace,
  expectApply,
  expectKilledApply,
  expectNoChanges,
  expectNoDuplicate,
  loadWorkspaceConfig,
  removeWorkspace,
  setMinimumSessions,
  shiftedDeps,
} from './support/provider-apply-harness.ts';

const BASE = 'desk.gcp.test';
const ZONE_NAME = 'desk-gcp';

type Ws = ApplyWorkspace;

function configText(fake: FakeGcp, sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: gce
    dns_provider: gdns
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
name: gce
type: gcp
max_instances: 10
project: ${fake.project}
zone: us-east4-b
machine_type: e2-standard-4
source_image: projects/debian-cloud/global/images/family/debian-12
public_ip: true
endpoint: ${fake.url}
startup_script: |
  #!/bin/sh
  echo {server_id}
---
kind: DnsProvider
name: gdns
type: gcp
project: ${fake.project}
endpoint: ${fake.url}
`;
}

function workspace(fake: FakeGcp, sessions: number): Ws {
  return createApplyWorkspace({ prefix: 'poolform-gcp-apply-', fileName: 'gcp.yaml', text: configText(fake, sessions) });
}

const load = loadWorkspaceConfig;

/** A registry of fresh GCP clients against the fake (a new process), optionally with a shifted clock. */
function registryFor(fake: FakeGcp, config: Config, ws: Ws, now?: () => number): ProviderRegistry {
  const auth = staticTokenAuth(fake) as unknown as GcpAuthClient;
  return createProviderRegistry({
    config,
    stateDir: ws.state,
    env: {},
    factories: {
      gcpVm: (options) => createGcpVmProvider({ ...options, authClient: auth, ...FAST_GCP_TUNING, ...(now ? { now } : {}) }),
      gcpDns: (options) => createGcpDnsProvider({ ...options, authClient: auth, ...FAST_GCP_TUNING, ...(now ? { now } : {}) }),
    },
  });
}

async function apply(fake: FakeGcp, ws: Ws, options: { crashAfter?: number; shiftMs?: number } = {}): Promise<{ killed: boolean; waiting: boolean }> {
  const config = await load(ws);
  const later = () => Date.now() + (options.shiftMs ?? 0);
  let registry = registryFor(fake, config, ws, options.shiftMs ? later : undefined);
  let onKill: () => void = () => undefined;
  const killed = new Promise<'killed'>((resolve) => {
    onKill = () => resolve('killed');
  });
  if (options.crashAfter !== undefined) registry = withCrashAfter(registry, options.crashAfter, () => onKill());
  const store = await createSqliteStore({ path: ws.state });
  try {
    const round = reconcileOnce({
      config,
      store,
      registry,
      clock: () => new Date(later()),
      idGen: createSeededIdGen(Math.floor(Math.random() * 1e6)),
      newId: randomUUID,
      env: {},
      apiAddress: '127.0.0.1:9',
      // The "killed" apply still holds the lock in this live process (a real crash leaves a dead holder, which the next apply breaks).
      lock: false,
    });
    const outcome = await Promise.race([round, killed]);
    if (outcome === 'killed') return { killed: true, waiting: false };
    expect(outcome.applied.failures).toEqual([]);
    return { killed: false, waiting: (await store.snapshot()).intents.length > 0 };
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Converged: state, the fake's instances, disks and records agree, and plan has nothing to do. */
async function assertConverged(fake: FakeGcp, ws: Ws, expected: number): Promise<void> {
  const vmIds = await convergedVmIds(ws);
  expect(vmIds).toHaveLength(expected);
  const instances = [...fake.instances.values()];
  expect(instances.map((i) => i.metadata.find((m) => m.key === 'poolform-server-id')?.value).sort()).toEqual(vmIds);
  // No orphaned disk: exactly one boot disk per instance, named after it.
  expect([...fake.disks.values()].map((d) => d.name).sort()).toEqual(instances.map((i) => i.name).sort());
  // One A record (with its marker) per instance, at its private address.
  const a = [...fake.rrsets.values()].filter((r) => r.type === 'A');
  const txt = [...fake.rrsets.values()].filter((r) => r.type === 'TXT');
  expect(a).toHaveLength(expected);
  expect(txt.map((t) => t.rrdatas.join()).sort()).toEqual(vmIds.map((id) => `"poolform:server-id=${id}"`).sort());
  const ips = new Set(instances.map((i) => i.networkIP));
  for (const r of a) expect(ips.has(r.rrdatas[0] ?? '')).toBe(true);
  await expectNoChanges(ws, (config) => registryFor(fake, config, ws));
}

function assertNoDuplicate(fake: FakeGcp, wanted: number): void {
  expectNoDuplicate(
    [...fake.instances.values()].map((i) => i.metadata.find((m) => m.key === 'poolform-server-id')?.value),
    wanted,
  );
}

const fakeFor = () => startFakeGcp({ dnsZones: { [BASE]: ZONE_NAME } });

/** Mutating provider calls of the full create apply: 2 instance inserts and 1 batched DNS upsert (measured by the first test). */
const CREATE_CALLS = 3;

describe('apply with the GCP providers', () => {
  it('an in-process apply creates 2 instances and their records; steady state costs one listing per provider', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const applied = await applyInProcess(ws, (config) => registryFor(fake, config, ws)).catch(async (err: unknown) => {
      await fake.close();
      removeWorkspace(ws);
      throw err;
    });
    try {
      expect(applied.mutating).toBe(CREATE_CALLS);
      expect(fake.instances.size).toBe(2);
      fake.calls.length = 0;
      const again = await applied.replan();
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => c.operation).sort()).toEqual(['compute.instances.list', 'dns.resourceRecordSets.list']);
    } finally {
      await applied.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('a crash after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 180_000 }, async () => {
    for (let n = 1; n <= CREATE_CALLS; n++) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2);
      try {
        expect((await apply(fake, ws, { crashAfter: n })).killed).toBe(true);
        const again = await apply(fake, ws);
        assertNoDuplicate(fake, 2);
        // An instance whose intent was written but whose insert never reached Compute is waited for (10 minutes), then replaced.
        if (again.waiting) await apply(fake, ws, { shiftMs: 16 * 60_000 });
        await assertConverged(fake, ws, 2);

        if (n <= 2) {
          setMinimumSessions(ws, 2, 0);
          expect((await apply(fake, ws, { crashAfter: n })).killed).toBe(true);
          await apply(fake, ws);
          await assertConverged(fake, ws, 0);
        }
      } finally {
        await fake.close();
        removeWorkspace(ws);
      }
    }
  });

  it('a child `poolform apply` (ADC credentials) SIGKILLed after its first mutating call: the next child apply converges', { timeout: 120_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      ws.env['GOOGLE_APPLICATION_CREDENTIALS'] = fake.writeAdcFile(ws.root);
      await expectKilledApply(ws, 1);
      const again = await expectApply(ws);
      // Only the note that the dead process's state lock was taken over.
      expect(again.stderr).not.toMatch(/error/i);
      assertNoDuplicate(fake, 2);
      // The credentials came from the fake's STS endpoint, through the real ADC code path.
      expect(fake.count('sts.token')).toBeGreaterThan(0);
      const store = await createSqliteStore({ path: ws.state });
      const waiting = (await store.snapshot()).intents.length > 0;
      await store.close();
      if (waiting) await apply(fake, ws, { shiftMs: 16 * 60_000 });
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('rejected credentials are a plan error naming the provider; nothing is created', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await load(ws);
      const registry = registryFor(fake, config, ws);
      fake.revokeTokens();
      const { plan } = await planOnce({ config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(7) });
      const text = [...plan.errors, ...(plan.fatal_errors ?? [])].join('\n');
      expect(text).toMatch(/VmProvider gce: .*credentials/);
      expect(fake.count('compute.instances.insert')).toBe(0);
    } finally {
      await store.close();
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('a capacity refusal fails only its instance, leaves nothing behind, and later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      fake.inject({ method: 'POST', path: '/instances', asyncCode: 'ZONE_RESOURCE_POOL_EXHAUSTED' });
      const config = await load(ws);
      const store = await createSqliteStore({ path: ws.state });
      try {
        const round = await reconcileOnce(
          shiftedDeps(
            ws,
            config,
            store,
            (c, now) => registryFor(fake, c, ws, now),
            () => 0,
          ),
        );
        expect(round.applied.failures.map((f) => f.code)).toEqual(['gcp-insufficient-capacity']);
        expect(fake.instances.size).toBe(1);
        expect(fake.disks.size).toBe(1);
        const snap = await store.snapshot();
        expect(snap.intents).toEqual([]);
      } finally {
        await store.close();
      }
      // Later (past any create backoff), the pool completes.
      await apply(fake, ws, { shiftMs: 60 * 60_000 });
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });
});
