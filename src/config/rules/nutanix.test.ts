import { describe, expect, it } from 'vitest';
import { USER_DATA_MAX_BYTES } from '../../providers/nutanix/user-data.ts';
import { NUTANIX_USER_DATA_LIMIT } from '../../template/worst-case.ts';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const BASE = `kind: VmProvider
name: ahv
type: nutanix
max_instances: 3
prism_central_url: https://pc.example.com:9440
username: poolform-svc
password: \${env:NUTANIX_PASSWORD}
cluster_uuid: 0005f1b2-1c2d-4e3f-8a9b-0c1d2e3f4a5b
subnet_uuid: a1b2c3d4-0000-4000-8000-000000000001
image_uuid: b1b2c3d4-0000-4000-8000-000000000002
num_sockets: 2
num_vcpus_per_socket: 2
memory_mib: 8192
startup_script: "echo {server_id}"
`;

const load = (extra: string) => loadStrings({ 'a.yaml': BASE + extra });

describe('nutanix provider rules', () => {
  it('accepts a minimal provider and one with every setting', async () => {
    expect(codes(await load(''))).toEqual([]);
    expect(
      codes(
        await load(
          'disk_size_mib: 40960\ncategories: {Environment: Production, CostCenter: vdi}\nproject_uuid: 11111111-2222-4333-8444-555555555555\nguest_os: windows\ntask_timeout_seconds: 1800\n',
        ),
      ),
    ).toEqual([]);
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('username: poolform-svc', 'username: ${env:NUTANIX_USER}') }))).toEqual([]);
  });

  it('user-data-too-large: 65,536 bytes after worst-case rendering', async () => {
    expect(NUTANIX_USER_DATA_LIMIT).toBe(USER_DATA_MAX_BYTES);
    const script = (n: number) => `startup_script: "${'x'.repeat(n)}"\n`;
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace(/startup_script: .*\n/, script(65_536)) }))).toEqual([]);
    const over = await loadStrings({ 'a.yaml': BASE.replace(/startup_script: .*\n/, script(65_537)) });
    expect(only(over, 'user-data-too-large').map((d) => d.message)).toEqual([expect.stringContaining('Nutanix guest customization')]);
  });

  it('schema: URL, UUID shapes, sizes, a plaintext password', async () => {
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('https://pc.example.com:9440', 'pc.example.com') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('0005f1b2-1c2d-4e3f-8a9b-0c1d2e3f4a5b', 'cluster-1') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('num_sockets: 2', 'num_sockets: 0') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('memory_mib: 8192', 'memory_mib: 64') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('${env:NUTANIX_PASSWORD}', 'hunter2') }))).toContain('plaintext-secret');
    expect(codes(await load('categories: {"1bad": x}\n'))).toContain('schema');
  });

  it('nutanix-categories-reserved', async () => {
    expect(only(await load('categories: {PoolformPool: x, Environment: Production, poolformX: y}\n'), 'nutanix-categories-reserved')).toHaveLength(2);
  });

  it('tls-insecure warns; certificate-invalid checks ca_cert', async () => {
    expect(only(await load('insecure_skip_verify: true\n'), 'tls-insecure')).toMatchObject([{ severity: 'warning' }]);
    expect(only(await load('ca_cert: not a certificate\n'), 'certificate-invalid')).toHaveLength(1);
  });

  it('a misspelt type suggests nutanix', async () => {
    const result = await loadStrings({ 'a.yaml': BASE.replace('type: nutanix', 'type: nutanx') });
    expect(JSON.stringify(result)).toContain('did you mean \\"nutanix\\"');
  });
});
