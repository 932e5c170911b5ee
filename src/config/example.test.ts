import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { findLdapConfig, findPool, findVmProvider, findZone } from './lookup.ts';

const dir = fileURLToPath(new URL('../../config.example', import.meta.url));

describe('config.example', () => {
  it('is valid and has what the demo and the docs promise', async () => {
    const r = await loadConfig(dir);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const config = r.config;
    if (!config) throw new Error('config.example did not load');

    expect(config.settings.api_keys).toEqual([{ name: 'demo', secret: '${env:POOLFORM_API_KEY}', role: 'sessions' }]);
    expect(findZone(config, 'local')?.upstream_auth_address).toBeUndefined();
    const local = findVmProvider(config, 'local');
    expect(local?.startup_script).toContain('/api/set_server_status?token={checkin_jwt}');

    const demo = findPool(config, 'demo-desktops');
    const demoScale = demo?.autoscale?.[0];
    expect(demoScale).toMatchObject({
      vm_provider: 'local',
      schedules: [],
      minimum_available_sessions: 2,
      max_simultaneous_sessions_per_server: 2,
      reusable: true,
      aggressive_scaling: true,
      connection_type: 'rdp',
    });

    const agents = findPool(config, 'container-agents');
    expect(agents?.type).toBe('docker_agent');
    expect(agents?.staging?.length).toBeGreaterThan(0);
    expect(agents?.autoscale?.[0]).toMatchObject({ register_dns: true, dns_provider: 'local' });
    expect(agents?.autoscale?.[0]?.standby_gpus).toBeGreaterThan(0);

    const lab = findPool(config, 'lab-servers');
    expect(lab?.servers?.length).toBeGreaterThanOrEqual(2);

    const windows = findPool(config, 'windows-desktops');
    expect(windows?.autoscale?.map((a) => a.enabled)).toEqual([false, false, false, false]);
    expect(
      windows?.autoscale?.every((a) => a.ad_create_machine_record && a.connection_username === '{sso_username}' && a.connection_password === '{sso_cred}'),
    ).toBe(true);
    expect(windows?.autoscale?.flatMap((a) => a.schedules ?? []).some((s) => s.end === '23:59')).toBe(false);
    expect(findLdapConfig(config, 'corp-ad')?.url.startsWith('ldaps://')).toBe(true);
    expect(findVmProvider(config, 'aws-windows')?.type).toBe('aws');
  });
});
