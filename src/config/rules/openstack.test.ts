import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const BASE = `kind: VmProvider
name: osp
type: openstack
max_instances: 3
auth_url: https://keystone.example.com:5000/v3
flavor: m1.large
image_id: 5d5f8c4e-1f2a-4b3c-9d8e-0a1b2c3d4e5f
networks: [9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d]
startup_script: "echo {server_id}"
`;
const PASSWORD = 'username: poolform\npassword: ${env:OS_PASSWORD}\nproject_name: vdi\n';

const load = (extra: string, files: Record<string, string> = {}) => loadStrings({ 'a.yaml': BASE + extra, ...files });
const loadAuto = (extra: string) => loadStrings({ 'a.yaml': BASE.replace(/networks: .*\n/, 'networks: auto\n') + extra });

describe('openstack provider rules', () => {
  it('accepts password and application-credential providers', async () => {
    expect(codes(await load(PASSWORD))).toEqual([]);
    expect(
      codes(
        await loadAuto('auth_type: v3applicationcredential\napplication_credential_id: ${env:OS_AC_ID}\napplication_credential_secret: ${env:OS_AC_SECRET}\n'),
      ),
    ).toEqual([]);
    expect(codes(await load(`${PASSWORD}boot_from_volume: true\nvolume_size_gb: 40\nvolume_type: ssd\ndelete_volume_on_termination: false\n`))).toEqual([]);
  });

  it('user-data-too-large: 49,149 bytes (65,535 base64 characters) after worst-case rendering', async () => {
    const script = (n: number) => `startup_script: "${'x'.repeat(n)}"\n`;
    const fit = await loadStrings({ 'a.yaml': BASE.replace(/startup_script: .*\n/, script(49_149)) + PASSWORD });
    expect(codes(fit)).toEqual([]);
    const over = await loadStrings({ 'a.yaml': BASE.replace(/startup_script: .*\n/, script(49_150)) + PASSWORD });
    expect(only(over, 'user-data-too-large').map((d) => d.message)).toEqual([expect.stringContaining('OpenStack Nova user_data')]);
  });

  it('openstack-auth-incomplete names what the auth_type needs', async () => {
    const r = await load('username: poolform\n');
    expect(only(r, 'openstack-auth-incomplete').map((d) => d.message)).toEqual([expect.stringContaining('password, project_name (or project_id)')]);
    const a = await load('auth_type: v3applicationcredential\napplication_credential_id: ${env:X}\n');
    expect(only(a, 'openstack-auth-incomplete').map((d) => d.message)).toEqual([expect.stringContaining('application_credential_secret')]);
  });

  it('openstack-auth-mixed: the other auth type, or project_name with project_id', async () => {
    const r = await load(`${PASSWORD}application_credential_secret: \${env:X}\nproject_id: 0123456789abcdef0123456789abcdef\n`);
    expect(only(r, 'openstack-auth-mixed').map((d) => d.path)).toEqual(['/application_credential_secret', '/project_id']);
  });

  it('openstack-volume-settings', async () => {
    expect(codes(await load(`${PASSWORD}boot_from_volume: true\n`))).toEqual(['openstack-volume-settings']);
    expect(only(await load(`${PASSWORD}volume_size_gb: 20\nvolume_type: ssd\n`), 'openstack-volume-settings').map((d) => d.path)).toEqual([
      '/volume_size_gb',
      '/volume_type',
    ]);
  });

  it('openstack-metadata-reserved: poolform:* keys are the markers', async () => {
    const r = await load(`${PASSWORD}metadata:\n  poolform:server-id: x\n  team: vdi\n`);
    expect(only(r, 'openstack-metadata-reserved').map((d) => d.path)).toEqual(['/metadata/poolform:server-id']);
  });

  it('tls-insecure warns on insecure_skip_verify; ca_cert must be a certificate', async () => {
    const r = await load(`${PASSWORD}insecure_skip_verify: true\n`);
    expect(only(r, 'tls-insecure').map((d) => d.severity)).toEqual(['warning']);
    expect(codes(await load(`${PASSWORD}ca_cert: \${file:ca.pem}\n`, { 'ca.pem': 'not a certificate' }))).toContain('certificate-invalid');
  });

  it('schema: image_id must be a UUID, networks UUIDs or auto/none, auth_type closed', async () => {
    const bad = await loadStrings({
      'a.yaml':
        BASE.replace('5d5f8c4e-1f2a-4b3c-9d8e-0a1b2c3d4e5f', 'ubuntu').replace('[9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d]', '[private]') +
        PASSWORD +
        'auth_type: token\n',
    });
    const paths = new Set(only(bad, 'schema').map((d) => d.path));
    expect(paths.has('/auth_type')).toBe(true);
    expect(paths.has('/image_id')).toBe(true);
    expect([...paths].some((p) => p.startsWith('/networks'))).toBe(true);
  });
});
