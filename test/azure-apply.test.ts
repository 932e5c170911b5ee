// plan/apply/crash with the Azure providers, end to end: `node bin/poolform.js
// apply` (a real child process) against the ARM fake over HTTPS (the child
// trusts the fake's certificate through NODE_EXTRA_CA_CERTS, read at process
// start; authentication is ClientSecretCredential against the fake's token
// endpoint, the secret an `${env:}` reference). The apply is SIGKILLed right
// after each of its mutating provider calls (POOLFORM_CRASH_AFTER=N); the next
// apply must converge with no duplicate VM, no orphaned NIC, public IP, disk or
// DNS record, and `plan` must then say "No changes.". The same for a
// scale-down to zero. An in-process apply measures N and the listing budget.
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import type { Config } from '../src/config/model.ts';
import { createAzureVmProvider } from '../src/providers/azure/index.ts';
import { createAzureDnsProvider } from '../src/providers/azure-dns/index.ts';
import { createProviderRegistry, type ProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { DNS_RG, FAST_AZURE_RETRY, releaseFakeAgent, subnetId, TEST_RG, trustFake } from './fakes/azure/harness.ts';
import { type FakeAzure, startFakeAzure } from './fakes/azure/server.ts';
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
  reconcileLater as reconcileShifted,
  removeWorkspace,
  shiftedDeps,
} from './support/provider-apply-harness.ts';

const BASE = 'desk.azure.test';

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

function workspace(fake: FakeAzure, sessions: number, concurrency?: number): ApplyWorkspace {
  return createApplyWorkspace({
    prefix: 'poolform-azure-apply-',
    fileName: 'azure.yaml',
    text: configText(fake, sessions, concurrency),
    rootFiles: { 'fake-ca.pem': fake.ca },
    envFromRoot: (paths) => ({ AZURE_CLIENT_SECRET: fake.clientSecret, NODE_EXTRA_CA_CERTS: paths['fake-ca.pem'] ?? '' }),
  });
}

async function fakeFor(): Promise<FakeAzure> {
  // pollsToComplete 0: ARM's synchronous answers, so the child's 5 s default poll interval never runs.
  return await startFakeAzure({ pollsToComplete: 0, dnsZones: { [BASE]: DNS_RG } });
}

/** Azure clients trusting the fake's certificate, optionally with a shifted clock. */
function registryFor(fake: FakeAzure, ws: ApplyWorkspace) {
  return (config: Config, now?: () => number): ProviderRegistry => {
    const policies = [trustFake(fake)];
    const clock = now ? { now } : {};
    return createProviderRegistry({
      config,
      stateDir: ws.state,
      env: ws.env,
      factories: {
        azureVm: (options) => createAzureVmProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, pollIntervalMs: 5, ...clock }),
        azureDns: (options) => createAzureDnsProvider({ ...options, additionalPolicies: policies, retry: FAST_AZURE_RETRY, ...clock }),
      },
    });
  };
}

/** Converged: state, the fake's VMs, NICs, IPs, disks and records all agree, and plan has nothing to do. */
/**
 * `cli`: check "No changes." with a `poolform plan` child process (the real
 * thing, a few seconds); otherwise with an in-process plan (same planner).
 */
async function assertConverged(fake: FakeAzure, ws: ApplyWorkspace, expected: number, cli = false): Promise<void> {
  const vmIds = await convergedVmIds(ws);
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
    await expectCliNoChanges(ws);
    return;
  }
  try {
    await expectNoChanges(ws, registryFor(fake, ws));
  } finally {
    releaseFakeAgent(fake);
  }
}

/**
 * One reconcile round in-process, 16 minutes "later" (provider and planner
 * clocks shifted): past the 10-minute grace in which the planner waits for a
 * VM an interrupted apply may have started, and past the 15-minute grace after
 * which the provider sweeps a NIC/IP/disk whose VM never came.
 */
async function reconcileLater(fake: FakeAzure, ws: ApplyWorkspace): Promise<void> {
  try {
    await reconcileShifted(ws, registryFor(fake, ws));
  } finally {
    releaseFakeAgent(fake);
  }
}

/** After a crash and one more apply: never two VMs for a server, never more than wanted. */
function assertNoDuplicate(fake: FakeAzure, wanted: number): void {
  expectNoDuplicate(
    [...fake.vms.values()].map((v) => v.tags['poolform:server-id']),
    wanted,
  );
}

const crashChecks = (fake: FakeAzure, ws: ApplyWorkspace, wanted: number): CrashChecks => ({
  noDuplicate: () => assertNoDuplicate(fake, wanted),
  reconcileLater: () => reconcileLater(fake, ws),
  converged: (expected, cli) => assertConverged(fake, ws, expected, cli),
});

describe('apply with the Azure providers', () => {
  it('an in-process apply creates 2 VMs and their records with 3 mutating calls; steady state costs one listing per provider', {
    timeout: 60_000,
  }, async () => {
    const fake = await fakeFor();
    const ws = workspace(fake, 2);
    const applied = await applyInProcess(ws, registryFor(fake, ws)).catch(async (err: unknown) => {
      releaseFakeAgent(fake);
      await fake.close();
      removeWorkspace(ws);
      throw err;
    });
    try {
      expect(applied.mutating).toBe(3);
      expect(fake.vms.size).toBe(2);
      fake.calls.length = 0;
      const again = await applied.replan();
      expect(again.plan.changes).toEqual([]);
      expect(fake.calls.map((c) => c.operation).sort()).toEqual(['RecordSets_ListByType', 'VirtualMachines_List']);
    } finally {
      await applied.close();
      releaseFakeAgent(fake);
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('SIGKILL after each mutating call of a create, then of a scale-down: the next apply converges, nothing orphaned', { timeout: 400_000 }, async () => {
    // One provider call at a time, so that the kill never lands inside another create (that case: the next test).
    for (const n of [1, 2, 3]) {
      const fake = await fakeFor();
      const ws = workspace(fake, 2, 1);
      try {
        // A VM whose intent was written but whose create never reached Azure is waited for (10 minutes), then replaced.
        const checks = crashChecks(fake, ws, 2);
        await crashCreateThenConverge(ws, n, 2, checks, { cli: n === 1 });
        // Scale to zero: one batched DNS delete, then one VM destroy call.
        if (n <= 2) await crashScaleDownThenConverge(ws, n, 2, checks);
      } finally {
        await fake.close();
        removeWorkspace(ws);
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
      await expectKilledApply(ws, 1, { cleanStderr: false });
      await expectApply(ws);
      assertNoDuplicate(fake, 2);
      await reconcileLater(fake, ws);
      await assertConverged(fake, ws, 2);
    } finally {
      await fake.close();
      removeWorkspace(ws);
    }
  });

  it('a quota refusal fails only its VM, leaves no NIC/IP behind and backs the autoscaler off; later the pool completes', { timeout: 60_000 }, async () => {
    const fake = await startFakeAzure({ dnsZones: { [BASE]: DNS_RG } });
    const ws = workspace(fake, 3);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const config = await loadWorkspaceConfig(ws);
      let shift = 0;
      const deps = shiftedDeps(ws, config, store, registryFor(fake, ws), () => shift);
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
      removeWorkspace(ws);
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
      removeWorkspace(ws);
    }
  });
});
