// plan/apply/crash with the Harvester provider: `poolform apply` child
// processes against the fake Kubernetes API with a Harvester image and VLAN
// network, SIGKILLed after the first mutating provider call of a create and
// of a scale-down to zero; the next apply converges with no duplicate VM and
// no orphaned root PVC (Harvester's PVCs have no owner reference, so destroy
// deletes them by name) or cloud-init Secret.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createHarvesterVmProvider } from '../src/providers/harvester/index.ts';
import { ANNOTATION_INTENT } from '../src/providers/kubevirt/index.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { runChild } from './fixtures/plan/harness.ts';
import { kubeconfigFor, NAMESPACE, startSecureFakeKube } from './fakes/kubernetes/harness.ts';
import type { FakeKube } from './fakes/kubernetes/server.ts';

function configText(sessions: number): string {
  return `kind: Settings
provider_concurrency: 1
---
kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: hv
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${sessions}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: hv
type: harvester
max_instances: 10
kubeconfig: \${file:harvester-kubeconfig}
namespace: ${NAMESPACE}
image: default/image-ubuntu
cpu_cores: 2
memory: 4Gi
network: default/vlan100
startup_script: |
  #cloud-config
  runcmd: [echo {server_id}]
`;
}

async function harvesterFake(): Promise<FakeKube> {
  const fake = await startSecureFakeKube({ startAfterPolls: 1 });
  fake.put('harvesterhci.io', 'v1beta1', 'virtualmachineimages', {
    metadata: { name: 'image-ubuntu', namespace: 'default' },
    spec: {},
    status: { progress: 100, storageClassName: 'longhorn-image-ubuntu' },
  });
  fake.put('k8s.cni.cncf.io', 'v1', 'network-attachment-definitions', { metadata: { name: 'vlan100', namespace: 'default' }, spec: { config: '{}' } });
  return fake;
}

/** One in-process reconcile with the clock past the wait for an intent whose create never reached the cluster. */
async function reconcileLater(configDir: string, stateDir: string): Promise<void> {
  const loaded = await loadConfig(configDir);
  if (!loaded.config) throw new Error('config invalid');
  const later = () => Date.now() + 16 * 60_000;
  const store = await createSqliteStore({ path: stateDir });
  try {
    const registry = createProviderRegistry({
      config: loaded.config,
      stateDir,
      env: {},
      factories: { harvesterVm: (o) => createHarvesterVmProvider({ ...o, sleep: async () => {}, now: later }) },
    });
    const round = await reconcileOnce({
      config: loaded.config,
      store,
      registry,
      clock: () => new Date(later()),
      idGen: createSeededIdGen(11),
      newId: randomUUID,
      env: {},
      apiAddress: '127.0.0.1:9',
    });
    expect(round.applied.failures).toEqual([]);
  } finally {
    await store.close();
  }
}

function counts(fake: FakeKube): Record<string, number> {
  const out: Record<string, number> = {};
  for (const plural of ['virtualmachines', 'secrets', 'persistentvolumeclaims']) out[plural] = fake.objects(plural, NAMESPACE).length;
  return out;
}

describe('apply with the Harvester provider', () => {
  it('SIGKILL after the first mutating call of a create and of a scale-down: converges, no duplicate VM, no orphaned PVC or Secret', {
    timeout: 300_000,
  }, async () => {
    const fake = await harvesterFake();
    const root = mkdtempSync(join(tmpdir(), 'poolform-harvester-apply-'));
    const config = join(root, 'config');
    const state = join(root, 'state');
    mkdirSync(config);
    writeFileSync(join(config, 'harvester.yaml'), configText(2));
    writeFileSync(join(config, 'harvester-kubeconfig'), kubeconfigFor(fake));
    const apply = (env: Record<string, string> = {}) => runChild(['apply', config, '--state', state, '--auto-approve'], env);
    try {
      const crashed = await apply({ POOLFORM_CRASH_AFTER: '1' });
      expect(crashed.signal).toBe('SIGKILL');
      const again = await apply();
      expect(again.code).toBe(0);
      if (again.stdout.includes('Waiting (nothing is planned for these yet)')) await reconcileLater(config, state);
      const intents = fake.objects('virtualmachines', NAMESPACE).map((v) => v.metadata.annotations?.[ANNOTATION_INTENT]);
      expect(new Set(intents).size).toBe(intents.length);
      expect(counts(fake)).toEqual({ virtualmachines: 2, secrets: 2, persistentvolumeclaims: 2 });
      expect((await apply()).stdout).toContain('No changes.');

      const file = join(config, 'harvester.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 0'));
      const down = await apply({ POOLFORM_CRASH_AFTER: '1' });
      expect(down.signal).toBe('SIGKILL');
      expect((await apply()).code).toBe(0);
      expect(counts(fake)).toEqual({ virtualmachines: 0, secrets: 0, persistentvolumeclaims: 0 });
    } finally {
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
