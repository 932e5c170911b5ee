import { describe, expect, it } from 'vitest';
import { PROXMOX_USER_DATA_LIMIT } from '../../template/worst-case.ts';
import { USER_DATA_MAX_BYTES } from '../../providers/proxmox/user-data.ts';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const BASE = `kind: VmProvider
name: pve
type: proxmox
max_instances: 3
api_url: https://pve1.example.com:8006/api2/json
token_id: poolform@pve!autoscale
token_secret: \${env:PVE_TOKEN_SECRET}
node: pve1
template_vmid: 9000
startup_script: "echo {server_id}"
`;

const load = (extra: string, files: Record<string, string> = {}) => loadStrings({ 'a.yaml': BASE + extra, ...files });

describe('proxmox provider rules', () => {
  it('accepts a minimal provider and one with every setting', async () => {
    expect(codes(await load(''))).toEqual([]);
    expect(
      codes(
        await load(
          'full_clone: true\nstorage: ceph-vm\npool: vdi\ncores: 4\nmemory_mb: 8192\ntags: [kasm, vdi-agents]\nguest_os: windows\nscript_path: C:\\\\Temp\\\\s.ps1\nagent_timeout_seconds: 900\n',
        ),
      ),
    ).toEqual([]);
  });

  it('user-data-too-large: 61,440 bytes (60 KiB of guest-agent file-write content) after worst-case rendering', async () => {
    expect(PROXMOX_USER_DATA_LIMIT).toBe(USER_DATA_MAX_BYTES);
    const script = (n: number) => `startup_script: "${'x'.repeat(n)}"\n`;
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace(/startup_script: .*\n/, script(61_440)) }))).toEqual([]);
    const over = await loadStrings({ 'a.yaml': BASE.replace(/startup_script: .*\n/, script(61_441)) });
    expect(only(over, 'user-data-too-large').map((d) => d.message)).toEqual([expect.stringContaining('Proxmox VE guest-agent file-write')]);
  });

  it('schema: api_url, token_id shape, template_vmid range, a plaintext token_secret', async () => {
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('/api2/json', '') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('poolform@pve!autoscale', 'poolform@pve') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('template_vmid: 9000', 'template_vmid: 7') }))).toContain('schema');
    expect(codes(await loadStrings({ 'a.yaml': BASE.replace('${env:PVE_TOKEN_SECRET}', '5e0c1d2e-aaaa-4bbb-8ccc-0123456789ab') }))).toContain(
      'plaintext-secret',
    );
  });

  it('proxmox-tags-reserved and proxmox-storage-linked', async () => {
    expect(only(await load('tags: [kasm, poolform, pf-x]\n'), 'proxmox-tags-reserved')).toHaveLength(2);
    expect(only(await load('storage: ceph-vm\n'), 'proxmox-storage-linked')).toHaveLength(1);
  });

  it('tls-insecure warns; certificate-invalid checks ca_cert', async () => {
    expect(only(await load('insecure_skip_verify: true\n'), 'tls-insecure')).toMatchObject([{ severity: 'warning' }]);
    expect(only(await load('ca_cert: not a certificate\n'), 'certificate-invalid')).toHaveLength(1);
  });
});
