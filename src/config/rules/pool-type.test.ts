import { describe, expect, it } from 'vitest';
import { codes, dockerPool, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const load = (pool: string) => loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${pool}` });

describe('autoscale-type-mismatch', () => {
  it('accepts a matching or absent autoscale_type', async () => {
    expect(codes(await load(serverPool('autoscale_type: server')))).toEqual([]);
  });
  it('rejects an autoscale_type that differs from the pool type', async () => {
    const r = await load(serverPool('autoscale_type: docker_agent'));
    expect(only(r, 'autoscale-type-mismatch')).toMatchObject([{ path: '/autoscale/0/autoscale_type', line: 14, column: 21 }]);
  });
});

describe('field-not-for-pool-type', () => {
  it('accepts docker fields on docker pools and server fields on server pools', async () => {
    expect(codes(await load(dockerPool('standby_cores: 4\nstandby_memory_mb: 8192\nstandby_gpus: 1\ndownscale_backoff: 600')))).toEqual([]);
    expect(codes(await load(serverPool('minimum_available_sessions: 1\nrequire_checkin: false')))).toEqual([]);
    // require_checkin / checkin_timeout apply to docker agents too (issue 16).
    expect(codes(await load(dockerPool('require_checkin: false\ncheckin_timeout: 20m')))).toEqual([]);
  });
  it('rejects standby_* on a server pool, at the key', async () => {
    const r = await load(serverPool('standby_cores: 4'));
    expect(only(r, 'field-not-for-pool-type')).toMatchObject([{ path: '/autoscale/0/standby_cores', line: 14, column: 5 }]);
  });
  it('rejects connection_* and AD fields on a docker pool', async () => {
    const r = await load(dockerPool('connection_type: rdp\nconnection_port: 3389\nad_create_machine_record: true'));
    expect(only(r, 'field-not-for-pool-type').map((d) => d.path)).toEqual([
      '/autoscale/0/connection_type',
      '/autoscale/0/connection_port',
      '/autoscale/0/ad_create_machine_record',
    ]);
  });
  it('rejects fixed servers in a docker pool and staging in a server pool', async () => {
    const docker = dockerPool().replace('autoscale:', 'servers:\n  - { name: s, hostname: h, connection_type: rdp }\nautoscale:');
    expect(only(await load(docker), 'field-not-for-pool-type').map((d) => d.path)).toEqual(['/servers']);
    const server = `${serverPool()}staging:\n  - { name: s, workspace: w, autoscale: day, num_sessions: 1 }\n`;
    expect(codes(await load(server))).toContain('field-not-for-pool-type');
  });
});

describe('field-not-for-pool-type through merge keys', () => {
  it('sees fields merged in with <<', async () => {
    const pool = `kind: Pool
name: p
type: server
autoscale:
  - &base { name: a, vm_provider: local, connection_type: rdp }
  - <<: [*base, { standby_cores: 2 }]
    name: b
`;
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${pool}` });
    expect(only(r, 'field-not-for-pool-type')).toMatchObject([{ path: '/autoscale/1/standby_cores', line: 12, column: 19 }]);
  });
});
