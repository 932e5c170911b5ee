// Scenario: crash recovery beyond the basic fixture. Two pools on two local VM
// providers sharing one state path, two DNS providers sharing one hosts file,
// a fixed server per pool. `poolform apply` (a real child process) is SIGKILLed
// right after its Nth mutating provider call (POOLFORM_CRASH_AFTER=N), for every
// N of a full create and of a scale-to-zero destroy; the next apply must leave
// no duplicate VM, no orphaned DNS record, no leftover intent, and a following
// plan must say "No changes.".
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { BASE_ENV, killLocalVms, localDnsRecords, localVmIds, runChild, runCli } from './fixtures/plan/harness.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

function config(desktops: number, labs: number): string {
  return `kind: VmProvider
name: local-a
type: local
max_instances: 6
startup_script: |
  echo "{server_id}" > id.txt
---
kind: VmProvider
name: local-b
type: local
max_instances: 6
startup_script: |
  echo "{server_id}" > id.txt
---
kind: DnsProvider
name: hosts-a
type: local
ttl: 60
---
kind: DnsProvider
name: hosts-b
type: local
ttl: 30
---
kind: Pool
name: desktops
type: server
servers:
  - name: legacy1
    hostname: 10.0.0.5
    connection_type: rdp
    connection_port: 3389
autoscale:
  - name: day
    vm_provider: local-a
    dns_provider: hosts-a
    register_dns: true
    base_domain_name: desk.example.test
    connection_type: rdp
    connection_port: 3389
    minimum_available_sessions: ${desktops}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: Pool
name: labs
type: server
servers:
  - name: lab1
    hostname: 10.0.1.5
    connection_type: ssh
    connection_port: 22
autoscale:
  - name: gpu
    vm_provider: local-b
    dns_provider: hosts-b
    register_dns: true
    base_domain_name: lab.example.test
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${labs}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
`;
}

interface Ws {
  root: string;
  config: string;
  state: string;
}

function workspace(desktops: number, labs: number): Ws {
  const root = mkdtempSync(join(tmpdir(), 'poolform-crash-'));
  const ws = { root, config: join(root, 'config'), state: join(root, 'state') };
  cpSync(join(import.meta.dirname, 'fixtures', 'plan', 'basic'), ws.config, { recursive: true });
  rmSync(join(ws.config, 'pool.yaml'));
  rmSync(join(ws.config, 'providers.yaml'));
  writeFileSync(join(ws.config, 'all.yaml'), config(desktops, labs));
  return ws;
}

async function cleanup(ws: Ws): Promise<void> {
  await killLocalVms(ws.state);
  rmSync(ws.root, { recursive: true, force: true });
}

async function mutatingCalls(ws: Ws): Promise<number> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    const loaded = await loadConfig(ws.config);
    if (!loaded.config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
    const cfg = loaded.config;
    const { registry, counter } = withCallCounter(createProviderRegistry({ config: cfg, stateDir: ws.state, env: BASE_ENV }));
    const { plan } = await planOnce({ config: cfg, store, registry, clock: () => new Date(), idGen: createSeededIdGen(7) });
    counter.reset();
    const result = await applyPlan(plan, {
      config: cfg,
      store,
      registry,
      clock: () => new Date(),
      newId: randomUUID,
      env: BASE_ENV,
      apiAddress: '127.0.0.1:8080',
    });
    expect(result.failures).toEqual([]);
    return counter.mutating;
  } finally {
    await store.close();
  }
}

async function assertConverged(ws: Ws, expected: { desktops: number; labs: number }): Promise<void> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    const vms = snap.resources.filter((r) => r.type === 'vm');
    const vmIds = vms.map((r) => String(r.attributes['server_id'])).sort();
    expect(localVmIds(ws.state)).toEqual(vmIds);
    expect(vms.filter((r) => r.address.startsWith('vm.desktops.'))).toHaveLength(expected.desktops);
    expect(vms.filter((r) => r.address.startsWith('vm.labs.'))).toHaveLength(expected.labs);
    const dns = localDnsRecords(ws.state);
    const dnsInState = snap.resources.filter((r) => r.type === 'dns_record').map((r) => r.address.slice(4));
    expect([...dns.keys()].sort()).toEqual(dnsInState.sort());
    expect(new Set(dns.values()).size).toBe(dns.size);
    for (const owner of dns.values()) expect(vmIds).toContain(owner);
    expect(dns.size).toBe(expected.desktops + expected.labs);
    expect(
      snap.servers
        .filter((s) => s.autoscale !== null)
        .map((s) => s.id)
        .sort(),
    ).toEqual(vmIds);
    expect(
      snap.servers
        .filter((s) => s.autoscale === null)
        .map((s) => s.id)
        .sort(),
    ).toEqual(['fixed.desktops.legacy1', 'fixed.labs.lab1']);
  } finally {
    await store.close();
  }
  const plan = await runCli(['plan', ws.config, '--state', ws.state, '--detailed-exitcode']);
  expect(plan.stdout).toContain('No changes.');
  expect(plan.code).toBe(0);
}

describe('crash recovery, two pools, two providers, shared DNS file', () => {
  it('SIGKILL after every mutating call of a create and of a scale-to-zero; the next apply converges', { timeout: testTimeout(300_000) }, async () => {
    const probe = workspace(2, 2);
    let calls: number;
    try {
      calls = await mutatingCalls(probe);
    } finally {
      await cleanup(probe);
    }
    // Four VM creates and one batched upsert per DNS provider.
    expect(calls).toBe(6);

    for (let n = 1; n <= calls; n++) {
      const ws = workspace(2, 2);
      try {
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.signal, `N=${n}: ${crashed.stderr}`).toBe('SIGKILL');
        const again = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve']);
        expect(again.code, `N=${n}: ${again.stderr}`).toBe(0);
        await assertConverged(ws, { desktops: 2, labs: 2 });

        // Then scale both pools to zero and crash the destroy at a point that moves with N.
        writeFileSync(join(ws.config, 'all.yaml'), config(0, 0));
        const destroyN = ((n - 1) % 4) + 1;
        const killed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { POOLFORM_CRASH_AFTER: String(destroyN) });
        expect(killed.signal, `destroy N=${destroyN}: ${killed.stderr}`).toBe('SIGKILL');
        const finish = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve']);
        expect(finish.code, `destroy N=${destroyN}: ${finish.stderr}`).toBe(0);
        await assertConverged(ws, { desktops: 0, labs: 0 });
      } finally {
        await cleanup(ws);
      }
    }
  });
});
