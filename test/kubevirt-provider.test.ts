// KubeVirt / Harvester provider behaviour against the fake Kubernetes API:
// what create writes (labels, annotations, Secret owned by the VM, boot
// sources), adoption on 409, list-call budget, faults (429 + Retry-After,
// ResourceQuota, 401, 403), TLS (kubeconfig CA, ca_cert, insecure_skip_verify),
// and the 1 MiB Secret limit.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubevirtVmProvider } from '../src/generated/config.ts';
import { createHarvesterVmProvider } from '../src/providers/harvester/index.ts';
import { createKubevirtVmProvider, LABEL_INTENT, LABEL_MANAGED, LABEL_PROVIDER, vmName } from '../src/providers/kubevirt/index.ts';
import type { VmCreateRequest, VmProviderClient } from '../src/providers/types.ts';
import { PoolformError } from '../src/util/errors.ts';
import {
  fakeCaCert,
  FAKE_TOKEN,
  harvesterConfig,
  kubeconfigFor,
  kubevirtConfig,
  leftoversOf,
  NAMESPACE,
  startSecureFakeKube,
} from './fakes/kubernetes/harness.ts';
import type { FakeKube, KubeObject } from './fakes/kubernetes/server.ts';

let fake: FakeKube;
let n = 0;
beforeAll(async () => {
  fake = await startSecureFakeKube();
  fake.put('harvesterhci.io', 'v1beta1', 'virtualmachineimages', {
    metadata: { name: 'image-ubuntu', namespace: 'default' },
    spec: {},
    status: { progress: 100, storageClassName: 'longhorn-image-ubuntu' },
  });
  fake.put('k8s.cni.cncf.io', 'v1', 'network-attachment-definitions', { metadata: { name: 'vlan100', namespace: 'default' }, spec: { config: '{}' } });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.setVmQuota(undefined);
});

const instant = async (): Promise<void> => {};

function request(over: Partial<VmCreateRequest> = {}): VmCreateRequest {
  n++;
  return {
    intent_id: `intent-${Date.now()}-${n}`,
    server_id: `srv-${n}`,
    hostname: `kv${n}`,
    pool: 'p1',
    autoscale: 'a1',
    user_data: '#cloud-config\nruncmd: [true]\n',
    ...over,
  };
}

function client(
  over: Partial<KubevirtVmProvider> = {},
  extra: { kubeconfig?: string; caCert?: string; sleeps?: number[]; warn?: (m: string) => void } = {},
): VmProviderClient {
  return createKubevirtVmProvider({
    config: kubevirtConfig({ name: `kv-${n}-${Math.random().toString(16).slice(2, 6)}`, ...over }),
    secrets: { kubeconfig: extra.kubeconfig ?? kubeconfigFor(fake), ...(extra.caCert !== undefined ? { caCert: extra.caCert } : {}) },
    sleep: instant,
    pollIntervalMs: 1,
    snapshotMaxAgeMs: 0,
    retry: { sleep: async (ms) => void extra.sleeps?.push(ms) },
    ...(extra.warn ? { warn: extra.warn } : {}),
  });
}

const get = (plural: string, name: string, ns = NAMESPACE): KubeObject | undefined => fake.objects(plural, ns).find((o) => o.metadata.name === name);

async function failure(promise: Promise<unknown>): Promise<PoolformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PoolformError);
  return error as PoolformError;
}

describe('kubevirt create', () => {
  it('writes a labelled VM booting from a DataVolume and a Secret owned by it; the VMI address is reported', async () => {
    const c = client({ ssh_key: 'ssh-ed25519 AAAAC3Nza test@example' });
    const req = request();
    const vm = await c.create(req);
    expect(vm).toMatchObject({ provider_id: vmName(req.intent_id), server_id: req.server_id, intent_id: req.intent_id, state: 'running' });
    expect(vm.private_ip).toMatch(/^10\.244\.0\.\d+$/);
    const obj = get('virtualmachines', vm.provider_id);
    expect(obj?.metadata.labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_PROVIDER]: c.name, [LABEL_INTENT]: req.intent_id });
    const spec = obj?.spec as {
      runStrategy: string;
      dataVolumeTemplates: { spec: { source: unknown } }[];
      template: { spec: { hostname: string; volumes: unknown[] } };
    };
    expect(spec.runStrategy).toBe('Always');
    expect(spec.dataVolumeTemplates[0]?.spec.source).toEqual({ http: { url: 'https://images.example.com/ubuntu.qcow2' } });
    expect(spec.template.spec.hostname).toBe(req.hostname);
    expect(spec.template.spec.volumes).toContainEqual({ name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: `${vm.provider_id}-cloudinit` } } });
    const secret = get('secrets', `${vm.provider_id}-cloudinit`);
    expect(secret?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'VirtualMachine', name: vm.provider_id, uid: obj?.metadata.uid });
    const userData = Buffer.from((secret as unknown as { data: { userdata: string } }).data.userdata, 'base64').toString('utf8');
    expect(userData).toContain('runcmd: [true]');
    expect(userData).toContain('ssh_authorized_keys:\n  - "ssh-ed25519 AAAAC3Nza test@example"');
    expect(get('datavolumes', `${vm.provider_id}-rootdisk`)?.metadata.ownerReferences?.[0]?.uid).toBe(obj?.metadata.uid);
    await c.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(leftoversOf(fake, vm.provider_id)).toEqual([]);
  });

  it('a container_disk boot source uses a containerDisk volume and no DataVolume; a Multus network binds by bridge', async () => {
    const c = client({ boot_source: { container_disk: 'quay.io/containerdisks/ubuntu:24.04' }, network: 'default/vlan100' });
    const vm = await c.create(request());
    const spec = get('virtualmachines', vm.provider_id)?.spec as {
      dataVolumeTemplates?: unknown;
      template: { spec: { volumes: unknown[]; networks: unknown[] } };
    };
    expect(spec.dataVolumeTemplates).toBeUndefined();
    expect(spec.template.spec.volumes[0]).toEqual({ name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/ubuntu:24.04' } });
    expect(spec.template.spec.networks).toEqual([{ name: 'default', multus: { networkName: 'default/vlan100' } }]);
    await c.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('after a crash between the Secret and the VM, the retry adopts the Secret and makes one VM', async () => {
    const c = client();
    const req = request();
    fake.inject({ method: 'POST', path: '/virtualmachines', status: 500, times: 5 });
    const first = await failure(c.create(req));
    expect(first.retryable).toBe(true);
    expect(get('secrets', `${vmName(req.intent_id)}-cloudinit`)).toBeDefined();
    const vm = await c.create(req);
    expect(fake.objects('virtualmachines', NAMESPACE).filter((o) => o.metadata.name === vm.provider_id)).toHaveLength(1);
    expect(get('secrets', `${vm.provider_id}-cloudinit`)?.metadata.ownerReferences?.[0]?.name).toBe(vm.provider_id);
    await c.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(leftoversOf(fake, vm.provider_id)).toEqual([]);
  });

  it('409 AlreadyExists on the VM adopts it when it carries the same intent (a second client, as after a restart)', async () => {
    const req = request();
    const a = await client({ name: 'kv-shared' }).create(req);
    const b = await client({ name: 'kv-shared' }).create(req);
    expect(b.provider_id).toBe(a.provider_id);
    await client({ name: 'kv-shared' }).destroy([{ provider_id: a.provider_id, server_id: a.server_id }]);
  });

  it('a VM of the same name without this intent is refused, never adopted or deleted', async () => {
    const req = request();
    fake.put('kubevirt.io', 'v1', 'virtualmachines', { metadata: { name: vmName(req.intent_id), namespace: NAMESPACE }, spec: {} });
    const c = client();
    const error = await failure(c.create(req));
    expect(error.code).toBe('not-owned');
    const results = await c.destroy([{ provider_id: vmName(req.intent_id), server_id: req.server_id }]);
    expect(results[0]?.error).toBeInstanceOf(PoolformError);
    expect(get('virtualmachines', vmName(req.intent_id))).toBeDefined();
  });

  it('a startup script above the 1 MiB Secret limit is refused before any call', async () => {
    const c = client();
    const before = fake.calls.length;
    const error = await failure(c.create(request({ user_data: `#!/bin/sh\n${'x'.repeat(1024 * 1024)}` })));
    expect(error.code).toBe('user-data-too-large');
    expect(fake.calls.length).toBe(before);
  });
});

describe('kubevirt observe', () => {
  it('lists 1,000 VMs with one VM list call and one VMI list call, 1,001 with two of each (limit 1000 + continue), never a GET per VM', async () => {
    const name = 'kv-budget';
    const ns = 'budget';
    for (let i = 0; i < 1000; i++) {
      const labels = { [LABEL_MANAGED]: 'true', [LABEL_PROVIDER]: name, [LABEL_INTENT]: `i${i}` };
      fake.put('kubevirt.io', 'v1', 'virtualmachines', {
        metadata: {
          name: `pf-${i.toString(16).padStart(20, '0')}`,
          namespace: ns,
          labels,
          annotations: {
            'poolform.io/provider': name,
            'poolform.io/server-id': `s${i}`,
            'poolform.io/intent-id': `i${i}`,
            'poolform.io/pool': 'p',
            'poolform.io/autoscale': 'a',
          },
        },
        spec: { runStrategy: 'Always', template: { metadata: { labels }, spec: {} } },
      });
    }
    const c = client({ name, namespace: ns });
    const before = fake.calls.length;
    const vms = await c.observe();
    const calls = fake.calls.slice(before);
    expect(vms).toHaveLength(1000);
    expect(calls.filter((x) => x.plural === 'virtualmachines' && x.list)).toHaveLength(1);
    expect(calls.filter((x) => x.plural === 'virtualmachineinstances' && x.list)).toHaveLength(1);
    expect(calls.filter((x) => !x.list)).toHaveLength(0);
    expect(calls[0]?.path).toContain('labelSelector=poolform.io%2Fmanaged%3Dtrue%2Cpoolform.io%2Fprovider%3Dkv-budget');
    // One more VM: the next page.
    const labels = { [LABEL_MANAGED]: 'true', [LABEL_PROVIDER]: name };
    fake.put('kubevirt.io', 'v1', 'virtualmachines', {
      metadata: { name: 'pf-ffffffffffffffffffff', namespace: ns, labels, annotations: { 'poolform.io/provider': name, 'poolform.io/server-id': 'last' } },
      spec: { runStrategy: 'Always', template: { metadata: { labels }, spec: {} } },
    });
    const mark = fake.calls.length;
    expect(await c.observe()).toHaveLength(1001);
    expect(fake.calls.slice(mark).map((x) => `${x.plural} ${x.list}`)).toEqual([
      'virtualmachines true',
      'virtualmachines true',
      'virtualmachineinstances true',
      'virtualmachineinstances true',
    ]);
  });
});

describe('kubevirt faults', () => {
  it('429 with Retry-After is retried after the asked delay', async () => {
    const sleeps: number[] = [];
    const c = client({}, { sleeps });
    fake.inject({ method: 'POST', path: '/virtualmachines', status: 429, retryAfter: 3 });
    const vm = await c.create(request());
    expect(sleeps.some((ms) => ms >= 3000)).toBe(true);
    await c.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
  });

  it('a VMI the scheduler cannot place ends the wait at once: the VM is reported pending, then runs when room frees up', async () => {
    fake.setUnschedulable(true);
    try {
      const c = client({ namespace: 'tight' });
      const before = fake.calls.length;
      const vm = await c.create(request());
      expect(vm.state).toBe('pending');
      // Secret, VM, Secret owner, then VMI reads until the scheduler's refusal shows (2 reads): no waiting for the bound.
      expect(fake.calls.slice(before).filter((x) => x.plural === 'virtualmachineinstances').length).toBeLessThanOrEqual(3);
      fake.setUnschedulable(false);
      const later = (await c.observe()).find((v) => v.provider_id === vm.provider_id);
      expect(later?.state).toBe('running');
      await c.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    } finally {
      fake.setUnschedulable(false);
    }
  });

  it('a ResourceQuota refusal is a retryable quota error with nothing created (no Secret left)', async () => {
    const c = client({ namespace: 'quota' });
    fake.setVmQuota(0);
    const req = request();
    const error = await failure(c.create(req));
    expect(error.code).toBe('kubevirt-quota-exceeded');
    expect(error.retryable).toBe(true);
    expect(error.nothingCreated).toBe(true);
    expect(error.message).toContain('exceeded quota');
    expect(leftoversOf(fake, vmName(req.intent_id), 'quota')).toEqual([]);
  });

  it('401 is a credential error naming the provider, not retried', async () => {
    const c = client({ name: 'kv-badtoken' }, { kubeconfig: kubeconfigFor(fake, { token: 'wrong' }) });
    const error = await failure(c.observe());
    expect(error.code).toBe('kubevirt-auth-failed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('VmProvider kv-badtoken (kubevirt)');
  });

  it('403 (RBAC) is a permission error, not retried', async () => {
    const c = client();
    fake.inject({
      method: 'GET',
      path: '/virtualmachines',
      status: 403,
      message: 'virtualmachines.kubevirt.io is forbidden: User "system:serviceaccount:vms:poolform" cannot list resource',
    });
    const error = await failure(c.observe());
    expect(error.code).toBe('kubevirt-unauthorized');
    expect(error.retryable).toBe(false);
  });
});

describe('kubevirt credentials', () => {
  it('an unreadable kubeconfig is a config error that never quotes it', () => {
    const secret = 'token: s3cr3t-value-xyz';
    let error: unknown;
    try {
      createKubevirtVmProvider({
        config: kubevirtConfig({ name: 'kv-bad' }),
        secrets: { kubeconfig: `users:\n- name: a\n  user:\n    ${secret}\n  : [unclosed` },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoolformError);
    expect((error as PoolformError).code).toBe('kubevirt-config');
    expect((error as PoolformError).message).toContain('VmProvider kv-bad (kubevirt)');
    expect((error as PoolformError).message).not.toContain('s3cr3t');
    expect(String((error as PoolformError).cause)).not.toContain('s3cr3t');
  });

  it('a path where the kubeconfig text belongs gets a hint (${file:})', () => {
    expect(() => createKubevirtVmProvider({ config: kubevirtConfig(), secrets: { kubeconfig: '/home/me/.kube/config' } })).toThrow(
      /not a path: write \$\{file:PATH\}/,
    );
  });

  it('a context the kubeconfig lacks is named', () => {
    expect(() => createKubevirtVmProvider({ config: kubevirtConfig({ context: 'prod' }), secrets: { kubeconfig: kubeconfigFor(fake) } })).toThrow(
      /no context "prod"/,
    );
  });
});

describe('kubevirt TLS', () => {
  it('a kubeconfig without the CA fails with a TLS error that names ca_cert', async () => {
    const c = client({}, { kubeconfig: kubeconfigFor(fake, { caCert: '' }) });
    const error = await failure(c.observe());
    expect(error.code).toBe('kubevirt-tls-failed');
    expect(error.message).toContain('ca_cert');
  });

  it('ca_cert makes it work without the kubeconfig CA', async () => {
    const c = client({ ca_cert: '${file:ca.pem}' }, { kubeconfig: kubeconfigFor(fake, { caCert: '' }), caCert: fakeCaCert() });
    expect(await c.observe()).toEqual([]);
  });

  it('insecure_skip_verify works and warns loudly', async () => {
    const warnings: string[] = [];
    const c = client({ insecure_skip_verify: true }, { kubeconfig: kubeconfigFor(fake, { caCert: '' }), warn: (m) => void warnings.push(m) });
    expect(await c.observe()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/insecure_skip_verify is on.*NOT verified/);
  });

  it('api_server + token (no kubeconfig) with ca_cert', async () => {
    const vmClient = createKubevirtVmProvider({
      config: kubevirtConfig({ name: 'kv-token', kubeconfig: undefined, api_server: fake.url, token: '${env:KUBE_TOKEN}', ca_cert: '${file:ca.pem}' }),
      secrets: { token: FAKE_TOKEN, caCert: fakeCaCert() },
      sleep: instant,
    });
    expect(await vmClient.observe()).toEqual([]);
  });
});

describe('harvester', () => {
  it('the root disk is a PVC from the image (volumeClaimTemplates, imageId, image storage class) and destroy deletes it', async () => {
    const c = createHarvesterVmProvider({
      config: harvesterConfig({ name: 'hv-spec' }),
      secrets: { kubeconfig: kubeconfigFor(fake) },
      sleep: instant,
      pollIntervalMs: 1,
    });
    const vm = await c.create(request());
    const obj = get('virtualmachines', vm.provider_id);
    const templates = JSON.parse(obj?.metadata.annotations?.['harvesterhci.io/volumeClaimTemplates'] ?? '[]') as {
      metadata: { annotations: Record<string, string> };
      spec: { storageClassName: string };
    }[];
    expect(templates[0]?.metadata.annotations['harvesterhci.io/imageId']).toBe('default/image-ubuntu');
    expect(templates[0]?.spec.storageClassName).toBe('longhorn-image-ubuntu');
    expect(get('persistentvolumeclaims', `${vm.provider_id}-rootdisk`)).toBeDefined();
    await c.destroy([{ provider_id: vm.provider_id, server_id: vm.server_id }]);
    expect(leftoversOf(fake, vm.provider_id)).toEqual([]);
  });

  it('a missing image or network is refused with nothing created', async () => {
    const noImage = createHarvesterVmProvider({
      config: harvesterConfig({ name: 'hv-noimg', image: 'default/missing' }),
      secrets: { kubeconfig: kubeconfigFor(fake) },
      sleep: instant,
    });
    const e1 = await failure(noImage.create(request()));
    expect(e1).toMatchObject({ code: 'kubevirt-invalid-request', nothingCreated: true });
    expect(e1.message).toContain('default/missing');
    const noNet = createHarvesterVmProvider({
      config: harvesterConfig({ name: 'hv-nonet', network: 'default/nope' }),
      secrets: { kubeconfig: kubeconfigFor(fake) },
      sleep: instant,
    });
    const e2 = await failure(noNet.create(request()));
    expect(e2.message).toContain('default/nope');
    expect(fake.objects('virtualmachines', NAMESPACE).some((o) => o.metadata.annotations?.['poolform.io/provider']?.startsWith('hv-no'))).toBe(false);
  });
});
