// Helpers for tests against the fake Kubernetes API: a kubeconfig pointing at
// it, provider configs, and what a VM left behind (for the conformance
// suite's leftovers() check).
import type { HarvesterVmProvider, KubevirtVmProvider } from '../../../src/generated/config.ts';
import { testCa } from '../shared/ca.ts';
import { type FakeKube, type FakeKubeOptions, startFakeKube } from './server.ts';

/** The fake over HTTPS with the test CA (client-node refuses plain HTTP unless TLS verification is off). */
export function startSecureFakeKube(options: Omit<FakeKubeOptions, 'tls'> = {}): Promise<FakeKube> {
  const ca = testCa();
  return startFakeKube({ token: FAKE_TOKEN, ...options, tls: { cert: ca.cert, key: ca.key } });
}

/** The CA PEM the secure fake's certificate chains to. */
export const fakeCaCert = (): string => testCa().caCert;

export const FAKE_TOKEN = 'fake-kube-token';
export const NAMESPACE = 'vms';

/** A kubeconfig (YAML) for the fake: token auth, the test CA (caCert '' leaves it out). */
export function kubeconfigFor(fake: FakeKube, options: { token?: string; caCert?: string; context?: string } = {}): string {
  const context = options.context ?? 'fake';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${fake.url}`,
    ...(options.caCert !== '' ? [`    certificate-authority-data: ${Buffer.from(options.caCert ?? testCa().caCert).toString('base64')}`] : []),
    'users:',
    '- name: poolform',
    '  user:',
    `    token: ${options.token ?? FAKE_TOKEN}`,
    'contexts:',
    `- name: ${context}`,
    '  context:',
    '    cluster: fake',
    '    user: poolform',
    `    namespace: ${NAMESPACE}`,
    `current-context: ${context}`,
    '',
  ].join('\n');
}

export function kubevirtConfig(over: Partial<KubevirtVmProvider> = {}): KubevirtVmProvider {
  return {
    kind: 'VmProvider',
    name: 'kv',
    type: 'kubevirt',
    max_instances: 100,
    startup_script: '#cloud-config\nruncmd: [echo hi]\n',
    kubeconfig: '${file:kubeconfig.yaml}',
    namespace: NAMESPACE,
    boot_source: { http_url: 'https://images.example.com/ubuntu.qcow2' },
    disk_size: '20Gi',
    cpu_cores: 2,
    memory: '4Gi',
    ...over,
  };
}

export function harvesterConfig(over: Partial<HarvesterVmProvider> = {}): HarvesterVmProvider {
  return {
    kind: 'VmProvider',
    name: 'hv',
    type: 'harvester',
    max_instances: 100,
    startup_script: '#cloud-config\nruncmd: [echo hi]\n',
    kubeconfig: '${file:kubeconfig.yaml}',
    namespace: NAMESPACE,
    image: 'default/image-ubuntu',
    cpu_cores: 2,
    memory: '4Gi',
    network: 'default/vlan100',
    ...over,
  };
}

/** Objects named after the VM still in the fake (VM, VMI, DataVolume, Secret, PVC). */
export function leftoversOf(fake: FakeKube, vmName: string, namespace = NAMESPACE): string[] {
  const out: string[] = [];
  for (const plural of ['virtualmachines', 'virtualmachineinstances', 'datavolumes', 'secrets', 'persistentvolumeclaims']) {
    for (const o of fake.objects(plural, namespace))
      if (o.metadata.name === vmName || o.metadata.name.startsWith(`${vmName}-`)) out.push(`${plural}/${o.metadata.name}`);
  }
  return out;
}
