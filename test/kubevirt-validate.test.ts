// `poolform validate` for KubeVirt and Harvester providers: the worked
// examples of docs/providers/kubevirt.md and harvester.md are valid, the
// kubevirt rules (credentials, disk settings, reserved labels, ssh_key with a
// shell script, insecure_skip_verify), schema shapes, the 1 MiB Secret limit,
// and the registry handing resolved secrets to the factories.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import type { Diagnostic } from '../src/config/model.ts';
import type { KubevirtVmProviderOptions } from '../src/providers/kubevirt/index.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import type { VmProviderClient } from '../src/providers/types.ts';
import { testCa } from './fakes/shared/ca.ts';

function docExample(doc: string, test: string): string {
  const text = readFileSync(new URL(`../docs/providers/${doc}`, import.meta.url), 'utf8');
  const marker = text.indexOf(`validated by test/${test}`);
  if (marker < 0) throw new Error('worked example not found');
  return /```yaml\n([\s\S]*?)```/.exec(text.slice(marker))?.[1] ?? '';
}

async function withDir<T>(yaml: string, files: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-kubevirt-validate-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), yaml);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const validate = (yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> =>
  withDir(yaml, files, async (dir) => (await loadConfig(dir)).diagnostics);
const errors = (d: Diagnostic[]) => d.filter((x) => x.severity === 'error');
const codes = (d: Diagnostic[]) => errors(d).map((x) => x.code);

const BASE = `kind: VmProvider
name: kv
type: kubevirt
kubeconfig: \${file:kubeconfig}
namespace: vms
boot_source:
  http_url: https://images.example.com/u.qcow2
disk_size: 20Gi
cpu_cores: 2
memory: 4Gi
max_instances: 5
startup_script: |
  #cloud-config
  hostname: {server_hostname}
`;
const KUBECONFIG = 'apiVersion: v1\nkind: Config\n';

describe('validate: KubeVirt and Harvester providers', () => {
  it('the worked examples in docs/providers/kubevirt.md and harvester.md are valid', async () => {
    const kv = docExample('kubevirt.md', 'kubevirt-validate.test.ts');
    expect(kv).toContain('type: kubevirt');
    expect(errors(await validate(kv, { kubeconfig: KUBECONFIG }))).toEqual([]);
    const hv = docExample('harvester.md', 'kubevirt-validate.test.ts (harvester)');
    expect(hv).toContain('type: harvester');
    expect(errors(await validate(hv, { 'harvester-kubeconfig': KUBECONFIG, 'harvester-ca.pem': testCa().caCert }))).toEqual([]);
  });

  it('a minimal kubevirt provider is valid', async () => {
    expect(errors(await validate(BASE, { kubeconfig: KUBECONFIG }))).toEqual([]);
  });

  it('credentials: none, two ways, api_server without token, token/context alone', async () => {
    const none = BASE.replace('kubeconfig: ${file:kubeconfig}\n', '');
    expect(codes(await validate(none))).toContain('kubevirt-credentials');
    const two = BASE.replace('namespace: vms', 'namespace: vms\nin_cluster: true');
    expect(codes(await validate(two, { kubeconfig: KUBECONFIG }))).toContain('kubevirt-credentials');
    const noToken = none.replace('namespace: vms', 'namespace: vms\napi_server: https://10.0.0.1:6443');
    expect(codes(await validate(noToken))).toEqual(['kubevirt-credentials']);
    const ctxAlone = none.replace('namespace: vms', 'namespace: vms\nin_cluster: true\ncontext: prod');
    expect(codes(await validate(ctxAlone))).toEqual(['kubevirt-credentials']);
    const tokenOk = none.replace('namespace: vms', 'namespace: vms\napi_server: https://10.0.0.1:6443\ntoken: ${env:KUBE_TOKEN}');
    expect(codes(await validate(tokenOk))).toEqual([]);
  });

  it('disk settings: a DataVolume source needs disk_size; container_disk takes none', async () => {
    expect(codes(await validate(BASE.replace('disk_size: 20Gi\n', ''), { kubeconfig: KUBECONFIG }))).toEqual(['kubevirt-disk-settings']);
    const cd = BASE.replace('  http_url: https://images.example.com/u.qcow2', '  container_disk: quay.io/containerdisks/ubuntu:24.04');
    expect(codes(await validate(cd, { kubeconfig: KUBECONFIG }))).toEqual(['kubevirt-disk-settings']);
    expect(codes(await validate(cd.replace('disk_size: 20Gi\n', ''), { kubeconfig: KUBECONFIG }))).toEqual([]);
  });

  it('schema shapes: two boot sources, bad quantity, bad namespace, bad network, bad image ref', async () => {
    const two = BASE.replace('  http_url: https://images.example.com/u.qcow2', '  http_url: https://x/u.img\n  container_disk: quay.io/a:b');
    expect(errors(await validate(two, { kubeconfig: KUBECONFIG })).length).toBeGreaterThan(0);
    for (const bad of [
      BASE.replace('memory: 4Gi', 'memory: 4 GB'),
      BASE.replace('namespace: vms', 'namespace: VMs_1'),
      BASE.replace('cpu_cores: 2', 'cpu_cores: 2\nnetwork: vlan100'),
    ]) {
      expect(errors(await validate(bad, { kubeconfig: KUBECONFIG })).length).toBeGreaterThan(0);
    }
    const hv = docExample('harvester.md', 'kubevirt-validate.test.ts (harvester)').replace('image: default/image-ubuntu-2404', 'image: ubuntu 24.04');
    expect(errors(await validate(hv, { 'harvester-kubeconfig': KUBECONFIG, 'harvester-ca.pem': testCa().caCert })).map((d) => String(d.path))).toContain(
      '/image',
    );
  });

  it('reserved labels are refused; ssh_key with a shell script and insecure_skip_verify warn', async () => {
    const labels = BASE.replace('cpu_cores: 2', 'cpu_cores: 2\nlabels:\n  poolform.io/pool: x');
    expect(codes(await validate(labels, { kubeconfig: KUBECONFIG }))).toEqual(['kubevirt-labels-reserved']);
    const shell = BASE.replace('  #cloud-config\n  hostname: {server_hostname}\n', '  #!/bin/sh\n  echo hi\n').replace(
      'cpu_cores: 2',
      'cpu_cores: 2\nssh_key: ssh-ed25519 AAAAC3Nza x@y\ninsecure_skip_verify: true',
    );
    const d = await validate(shell, { kubeconfig: KUBECONFIG });
    expect(codes(d)).toEqual([]);
    expect(d.filter((x) => x.severity === 'warning').map((x) => x.code)).toEqual(expect.arrayContaining(['kubevirt-ssh-key-unused', 'tls-insecure']));
  });

  it('ca_cert must be a readable PEM certificate', async () => {
    const yaml = BASE.replace('namespace: vms', 'namespace: vms\nca_cert: ${file:ca.pem}');
    expect(codes(await validate(yaml, { kubeconfig: KUBECONFIG, 'ca.pem': 'not a certificate' }))).toEqual(['certificate-invalid']);
    expect(codes(await validate(yaml, { kubeconfig: KUBECONFIG, 'ca.pem': testCa().caCert }))).toEqual([]);
  });

  it('a startup script above 1 MiB rendered is user-data-too-large', async () => {
    // The default config budgets stop a file this big first: raise them (Settings.config_limits).
    const limits = 'kind: Settings\nconfig_limits:\n  max_file_bytes: 4194304\n  max_total_bytes: 4194304\n  max_template_bytes: 4194304\n---\n';
    const big = limits + BASE.replace('  hostname: {server_hostname}\n', `  # ${'x'.repeat(1024 * 1024)}\n`);
    expect(codes(await validate(big, { kubeconfig: KUBECONFIG }))).toEqual(['user-data-too-large']);
    const fits = limits + BASE.replace('  hostname: {server_hostname}\n', `  # ${'x'.repeat(1000 * 1024)}\n`);
    expect(codes(await validate(fits, { kubeconfig: KUBECONFIG }))).toEqual([]);
  });

  it('the registry resolves kubeconfig and ca_cert and passes the warn sink', async () => {
    const yaml = BASE.replace('namespace: vms', 'namespace: vms\nca_cert: ${file:ca.pem}');
    await withDir(yaml, { kubeconfig: KUBECONFIG, 'ca.pem': testCa().caCert }, async (dir) => {
      const loaded = await loadConfig(dir);
      expect(errors(loaded.diagnostics)).toEqual([]);
      if (!loaded.config) throw new Error('config invalid');
      const seen: KubevirtVmProviderOptions[] = [];
      const warn = (): void => {};
      const registry = createProviderRegistry({
        config: loaded.config,
        stateDir: dir,
        env: {},
        warn,
        factories: {
          kubevirtVm: (o) => {
            seen.push(o);
            return { kind: 'kubevirt', name: o.config.name } as unknown as VmProviderClient;
          },
        },
      });
      expect(registry.vm('kv').kind).toBe('kubevirt');
      expect(seen[0]?.secrets).toEqual({ kubeconfig: KUBECONFIG, caCert: testCa().caCert });
      expect(seen[0]?.warn).toBe(warn);
    });
  });
});
