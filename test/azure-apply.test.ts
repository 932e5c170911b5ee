// plan/apply/crash with the Azure providers, end to end: `node bin/poolform.js
// apply` (a real child process) against the ARM fake over HTTPS (the child
// trusts the fake's certificate through NODE_EXTRA_CA_CERTS, read at process
// start; authentication is ClientSecretCredential against the fake's token
// endpoint, the secret an `${env:}` reference). The apply is SIGKILLed right
// after each of its mutating provider calls (POOLFORM_CRASH_AFTER=N); the next
// apply must converge with no duplicate VM, no orphaned NIC, public IP, disk or
// DNS record, and `plan` must then say "No changes.". The same for a
// scale-down to zero. An in-process apply measures N and the listing budget.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createAzureVmProvider } from '../src/providers/azure/index.ts';
import { createAzureDnsProvider } from '../src/providers/azure-dns/index.ts';
import { withCallCounter } from '../src/providers/crash-after.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { DNS_RG, FAST_AZURE_RETRY, releaseFakeAgent, subnetId, TEST_RG, trustFake } from './fakes/azure/harness.ts';
import { type FakeAzure, startFakeAzure } from './fakes/azure/server.ts';
import { runChild } from './fixtures/plan/harness.ts';

const BASE = 'desk.azure.test';

interface Ws {
  root: string;
  config: string;
  state: string;
  env: Record<string, string>;
}

function configText(fake: FakeAzure, sessions: number, concurrency: number | undefined): string {
  const settings = concurrency === undefined ? '' : `kind: Settings\nprovider_concurrency: ${concurrency}\n---\n`;
  return `${settings}kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: azure
    dns_provider: azdns
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
name: azure
type: azure
max_instances: 10
subscription_id: ${fake.subscriptionId}
tenant_id: ${fake.tenantId}
client_id: ${fake.clientId}
client_secret: \${env:AZURE_CLIENT_SECRET}
resource_group: ${TEST_RG}
location: eastus
vm_size: Standard_D4s_v5
image:
  publisher: Canonical
  offer: ubuntu-24_04-lts
  sku: server
os_type: linux
subnet_id: ${subnetId(fake)}
public_ip: true
admin_username: poolform
ssh_public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBfakefakefakefakefakefakefakefakefakefakefake test
endpoint: ${fake.url}
authority_host: ${fake.url}
startup_script: |
  #!/bin/sh
  echo {server_id}
---
kind: DnsProvider
name: azdns
type: azure
subscription_id: ${fake.subscriptionId}
tenant_id: ${fake.tenantId}
client_id: ${fake.clientId}
client_secret: \${env:AZURE_CLIENT_SECRET}
resource_group: ${DNS_RG}
endpoint: ${fake.url}
authority_host: ${fake.url}
`;
}

function workspace(fake: FakeAzure, sessions: number, concurrency?: number): Ws {
  const root = mkdtempSync(join(tmpdir(), 'poolform-azure-apply-'));
  const config = join(root, 'config');
  mkdirSync(config);
  writeFileSync(join(config, 'azure.yaml'), configText(fake, sessions, concurrency));
  const ca = join(root, 'fake-ca.pem');
  writeFileSync(ca, fake.ca);
  return { root, config, state: join(root, 'state'), env: { AZURE_CLIENT_SECRET: fake.clientSecret, NODE_EXTRA_CA_CERTS: ca } };
}

async function fakeFor(): Promise<FakeAzure> {
  // pollsToComplete 0: ARM's synchronous answers, so the child's 5 s default poll interval never runs.
  return await startFakeAzure({ pollsToComplete: 0, dnsZones: { [BASE]: DNS_RG } });
}

/** Converged: state, the fake's VMs, NICs, IPs, disks and records all agree, and plan has nothing to do. */
/**
 * `cli`: check "No changes." with a `poolform plan` child process (the real
 * thing, a few seconds); otherwise with an in-process plan (same planner).
 */
async function assertConverged(fake: FakeAzure, ws: Ws, expected: number, cli = false): Promise<void> {
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
  const vms = [...fake.vms.values()];
  expect(vms.map((v) => v.tags['poolform:server-id']).sort()).toEqual(vmIds);
  expect(vmIds).toHaveLength(expected);
  // No orphan: exactly one NIC, IP and disk per VM, each named after it.
  const vmNames = vms.map((v) => v.name).sort();
  expect([...fake.nics.values()].map((n) => n.name.replace(/-nic$/, '')).sort()).toEqual(vmNames);
  expect([...fake.publicIps.values()].map((n) => n.name.replace(/-ip$/, '')).sort()).toEqual(vmNames);
  expect([...fake.disks.values()].map((n) => n.name.replace(/-osdisk$/, '')).sort()).toEqual(vmNames);
  // One A record per VM, at its private address.
  const records = [...fake.recordSets.values()];
  expect(records.map((r) => (r.properties['metadata'] as Record<string, string>)['poolform_server_id']).sort()).toEqual(vmIds);
  const privateIps = new Set(vms.map((v) => v.tags['poolform:private-ip']));
  for (const r of records) expect(privateIps.has(((r.properties['ARecords'] as { ipv4Address: string }[])[0] ?? { ipv4Address: '' }).ipv4Address)).toBe(true);
  if (cli) {
    const plan = await runChild(['plan', ws.config, '--state', ws.state, '--detailed-exitcode'], ws.env);
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
    return;
  }
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error('config invalid');
  const config = loaded.config;
  const policies = [trustFake(fake)];
  const registry = createProviderRegistry({
    config,
    stateDir: ws.state,
    env: ws.env,
    factories: {
      azureVm: (options) => createAzureVmProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, pollIntervalMs: 5 }),
      azureDns: (options) => createAzureDnsProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY }),
    },
  });
  const planStore = await createSqliteStore({ path: ws.state });
  try {
    const { plan } = await planOnce({ config, store: planStore, registry, clock: () => new Date(), idGen: createSeededIdGen(13) });
    expect(plan.changes).toEqual([]);
  } finally {
    await planStore.close();
    releaseFakeAgent(fake);
  }
}

/**
 * One reconcile round in-process, 16 minutes "later" (provider and planner
 * clocks shifted): past the 10-minute grace in which the planner waits for a
 * VM an interrupted apply may have started, and past the 15-minute grace after
 * which the provider sweeps a NIC/IP/disk whose VM never came.
 */
async function reconcileLater(fake: FakeAzure, ws: Ws): Promise<void> {
  const shift = 16 * 60_000;
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error('config invalid');
  const config = loaded.config;
  const policies = [trustFake(fake)];
  const later = () => Date.now() + shift;
  const registry = createProviderRegistry({
    config,
    stateDir: ws.state,
    env: ws.env,
    factories: {
      azureVm: (options) => createAzureVmProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, pollIntervalMs: 5, now: later }),
      azureDns: (options) => createAzureDnsProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, now: later }),
    },
  });
  const store = await createSqliteStore({ path: ws.state });
  try {
    const round = await reconcileOnce({
      config,
      store,
      registry,
      clock: () => new Date(later()),
      idGen: createSeededIdGen(11),
      newId: randomUUID,
      env: ws.env,
      apiAddress: '127.0.0.1:9',
    });
    expect(round.applied.failures).toEqual([]);
  } finally {
    await store.close();
    releaseFakeAgent(fake);
  }
}

/** After a crash and one more apply: never two VMs for a server, never more than wanted. */
function assertNoDuplicate(fake: FakeAzure, wanted: number): void {
  const servers = [...fake.vms.values()].map((v) => v.tags['poolform:server-id']);
  expect(new Set(servers).size).toBe(servers.length);
  expect(servers.length).toBeLessThanOrEqual(wanted);
}

describe('apply with the Azure providers', () => {
  it('an in-process apply creates 2 VMs and their records with 3 mutating calls; steady state costs one listing per provider', {
    timeout: 60_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const loaded = await loadConfig(ws.config);
      if (!loaded.config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
      const config = loaded.config;
      const policies = [trustFake(fake)];
      const { registry, counter } = withCallCounter(
        createProviderRegistry({
          config,
          stateDir: ws.state,
          env: ws.env,
          factories: {
            azureVm: (options) => createAzureVmProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, pollIntervalMs: 5 }),
            azureDns: (options) => createAzureDnsProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY }),
          },
        }),
      );
      const deps = { config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3) };
      const { plan } = await planOnce(deps);
      counter.reset();
      const result = await applyPlan(plan, { ...deps, newId: randomUUID, env: ws.env, apiAddress: '127.0.0.1:9' });
      expect(result.failures).toEqual([]);
      expect(counter.mutating).toBe(3);
      expect(fake.vms.size).toBe(2);
      fake.calls.length = 0;
      const again = await planOnce(deps);
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => c.operation).sort()).toEqual(['RecordSets_ListByType', 'VirtualMachines_List']);
    } finally {
      await store.close();
      releaseFakeAgent(fake);
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 400_000 }, async () => {
    // One provider call at a time, so that the kill never lands inside another create (that case: the next test).
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
        // A VM whose intent was written but whose create never reached Azure is waited for (10 minutes), then replaced.
        if (again.stdout.includes('Waiting (nothing is planned for these yet)')) await reconcileLater(fake, ws);
        await assertConverged(fake, ws, 2, n === 1);

        if (n <= 2) {
          // Scale to zero: one batched DNS delete, then one VM destroy call.
          const file = join(ws.config, 'azure.yaml');
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

  it('a kill inside a parallel create (NIC made, VM not yet): no duplicate, the intent waits, then is discarded and its NIC swept', {
    timeout: 120_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    try {
      // Both creates run at once: the kill after the first may land while the second is between its NIC and its VM.
      const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: '1' });
      expect(crashed.signal).toBe('SIGKILL');
      const again = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], ws.env);
      expect(again.code).toBe(0);
      assertNoDuplicate(fake, 2);
      await reconcileLater(fake, ws);
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('a quota refusal fails only its VM, leaves no NIC/IP behind and backs the autoscaler off; later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await startFakeAzure({ dnsZones: { [BASE]: DNS_RG } });
    const ws = workspace(fake, 3);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const loaded = await loadConfig(ws.config);
      if (!loaded.config) throw new Error('config invalid');
      const config = loaded.config;
      const policies = [trustFake(fake)];
      let shift = 0;
      const now = () => Date.now() + shift;
      const registry = createProviderRegistry({
        config,
        stateDir: ws.state,
        env: ws.env,
        factories: {
          azureVm: (options) => createAzureVmProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, pollIntervalMs: 5, now }),
          azureDns: (options) => createAzureDnsProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, now }),
        },
      });
      const deps = {
        config,
        store,
        registry,
        clock: () => new Date(now()),
        idGen: createSeededIdGen(5),
        newId: randomUUID,
        env: ws.env,
        apiAddress: '127.0.0.1:9',
      };
      fake.inject({
        method: 'PUT',
        path: '/virtualmachines/',
        status: 409,
        code: 'OperationNotAllowed',
        message: 'Operation could not be completed as it results in exceeding approved Total Regional Cores quota.',
      });
      const first = await reconcileOnce(deps);
      expect(first.applied.failures).toHaveLength(1);
      expect(first.applied.failures[0]).toMatchObject({ code: 'azure-quota-exceeded' });
      expect(fake.vms.size).toBe(2);
      expect(fake.nics.size).toBe(2);
      expect(fake.publicIps.size).toBe(2);
      const snap = await store.snapshot();
      expect(snap.intents).toEqual([]);
      expect(snap.history['agents/fleet']).toMatchObject({ create_errors: 1, last_create_error: 'OperationNotAllowed (azure-quota-exceeded)' });
      // Inside the backoff nothing is created (no create/delete loop).
      shift = 30_000;
      const held = await planOnce(deps);
      expect(held.plan.changes).toEqual([]);
      expect(held.plan.decisions.find((d) => d.action === 'hold')?.cause).toBe('backoff');
      // Past it, the missing VM is created.
      shift = 3 * 60_000;
      const second = await reconcileOnce(deps);
      expect(second.applied.failures).toEqual([]);
      expect(fake.vms.size).toBe(3);
      expect(fake.nics.size).toBe(3);
      expect(fake.recordSets.size).toBe(3);
    } finally {
      await store.close();
      releaseFakeAgent(fake);
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });

  it('plan with a wrong client secret is a plan error naming the provider, without the secret', { timeout: 60_000 }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 1);
    try {
      const plan = await runChild(['plan', ws.config, '--state', ws.state], { ...ws.env, AZURE_CLIENT_SECRET: 'wrong-secret-value' });
      expect(plan.code).not.toBe(0);
      expect(plan.stderr).toContain('VmProvider azure');
      expect(plan.stderr).toContain('AADSTS7000215');
      expect(`${plan.stdout}${plan.stderr}`).not.toContain('wrong-secret-value');
      expect(fake.vms.size).toBe(0);
    } finally {
      await fake.close();
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});
