import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const BASE = `kind: VmProvider
name: vc
type: vsphere
max_instances: 3
vcenter_url: https://vcenter.example.com
username: poolform@vsphere.local
password: \${env:VSPHERE_PASSWORD}
datacenter: dc1
template: tpl
folder: poolform
startup_script: "echo {server_id}"
`;

const pool = (name: string, autoscale: string): string => `---
kind: Pool
name: ${name}
type: server
autoscale:
  - name: ${autoscale}
    vm_provider: vc
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: 1
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
`;

describe('vsphere provider rules', () => {
  it('vsphere-placement: exactly one of resource_pool and cluster', async () => {
    expect(codes(await loadStrings({ 'a.yaml': `${BASE}resource_pool: rp\n` }))).toEqual([]);
    expect(codes(await loadStrings({ 'a.yaml': `${BASE}cluster: c1\n` }))).toEqual([]);
    expect(only(await loadStrings({ 'a.yaml': BASE }), 'vsphere-placement')).toHaveLength(1);
    expect(only(await loadStrings({ 'a.yaml': `${BASE}cluster: c1\nresource_pool: rp\n` }), 'vsphere-placement')).toHaveLength(1);
  });

  it('vsphere-name-too-long: pool + autoscale names leaving no room in 80 characters', async () => {
    expect(codes(await loadStrings({ 'a.yaml': `${BASE}cluster: c1\n${pool('agents', 'fleet')}` }))).toEqual([]);
    // 15 + 10 + 8 + 4 separators = 37 fixed: 43 characters left for pool + autoscale.
    expect(codes(await loadStrings({ 'a.yaml': `${BASE}cluster: c1\n${pool('p'.repeat(23), 'a'.repeat(20))}` }))).toEqual([]);
    expect(only(await loadStrings({ 'a.yaml': `${BASE}cluster: c1\n${pool('p'.repeat(24), 'a'.repeat(20))}` }), 'vsphere-name-too-long')).toHaveLength(1);
  });
});
