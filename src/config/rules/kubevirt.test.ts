import { describe, expect, it } from 'vitest';
import { KUBEVIRT_USER_DATA_LIMIT } from '../../template/worst-case.ts';
import { USER_DATA_MAX_BYTES } from '../../providers/kubevirt/user-data.ts';
import { codes, loadStrings } from '../../../test/fixtures/config/load-strings.ts';

const BASE = `kind: VmProvider
name: kv
type: kubevirt
max_instances: 3
namespace: vms
cpu_cores: 2
memory: 4Gi
startup_script: |
  #cloud-config
  hostname: {server_id}
`;
const HTTP = 'boot_source:\n  http_url: https://images.example.com/u.qcow2\ndisk_size: 20Gi\n';
const CRED = 'api_server: https://10.0.0.1:6443\ntoken: ${env:KUBE_TOKEN}\n';

const load = (extra: string) => loadStrings({ 'a.yaml': BASE + extra });

describe('kubevirt / harvester provider rules', () => {
  it('the validate limit is the provider limit (1 MiB of Secret data)', () => {
    expect(KUBEVIRT_USER_DATA_LIMIT).toBe(USER_DATA_MAX_BYTES);
  });

  it('accepts a minimal provider', async () => {
    expect(codes(await load(HTTP + CRED))).toEqual([]);
    expect(codes(await load(`${HTTP}in_cluster: true\n`))).toEqual([]);
  });

  it('kubevirt-credentials: none, two, api_server without token, token or context alone', async () => {
    expect(codes(await load(HTTP))).toContain('kubevirt-credentials');
    expect(codes(await load(`${HTTP + CRED}in_cluster: true\n`))).toContain('kubevirt-credentials');
    expect(codes(await load(`${HTTP}api_server: https://10.0.0.1:6443\n`))).toContain('kubevirt-credentials');
    expect(codes(await load(`${HTTP}in_cluster: true\ncontext: prod\n`))).toContain('kubevirt-credentials');
  });

  it('kubevirt-disk-settings: DataVolume without disk_size, container_disk with storage settings', async () => {
    expect(codes(await load(`boot_source:\n  registry_url: docker://quay.io/containerdisks/fedora:40\n${CRED}`))).toEqual(['kubevirt-disk-settings']);
    expect(codes(await load(`boot_source:\n  container_disk: quay.io/containerdisks/fedora:40\nstorage_class: fast\n${CRED}`))).toEqual([
      'kubevirt-disk-settings',
    ]);
  });

  it('kubevirt-labels-reserved, kubevirt-ssh-key-unused (warning), tls-insecure (warning)', async () => {
    expect(codes(await load(`${HTTP + CRED}labels:\n  poolform.io/managed: "true"\n`))).toEqual(['kubevirt-labels-reserved']);
    const shell = (BASE.replace('  #cloud-config\n  hostname: {server_id}\n', '  #!/bin/sh\n  echo {server_id}\n') + HTTP + CRED).concat(
      'ssh_key: ssh-ed25519 AAAA x@y\ninsecure_skip_verify: true\n',
    );
    const result = await loadStrings({ 'a.yaml': shell });
    expect(codes(result, 'error')).toEqual([]);
    expect(
      result.diagnostics
        .filter((d) => d.severity === 'warning')
        .map((d) => d.code)
        .sort(),
    ).toEqual(['kubevirt-ssh-key-unused', 'tls-insecure']);
  });
});
