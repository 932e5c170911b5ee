import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const load = (pool: string) => loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${pool}` });

describe('connection-type-required', () => {
  it('rejects a server autoscale config without connection_type', async () => {
    const r = await load(serverPool().replace('    connection_type: rdp\n', ''));
    expect(only(r, 'connection-type-required')).toMatchObject([{ path: '/autoscale/0', line: 11, column: 5 }]);
  });
});

describe('field-not-for-connection-type', () => {
  it('accepts SSH key fields on SSH', async () => {
    const pool = serverPool('connection_private_key: ${env:KEY}\nconnection_passphrase: ${env:PASS}').replace('rdp', 'ssh');
    expect(codes(await load(pool))).toEqual([]);
    expect(codes(await load(serverPool('use_user_private_key: true').replace('rdp', 'ssh')))).toEqual([]);
  });
  it('rejects SSH key fields on RDP, but not use_user_private_key: false', async () => {
    const r = await load(serverPool('connection_private_key: ${env:KEY}\nuse_user_private_key: false'));
    expect(only(r, 'field-not-for-connection-type')).toMatchObject([{ path: '/autoscale/0/connection_private_key', line: 14, column: 5 }]);
  });
  it('applies to fixed servers too', async () => {
    const pool =
      'kind: Pool\nname: p\ntype: server\nservers:\n  - name: s\n    hostname: 10.0.0.1\n    connection_type: vnc\n    connection_passphrase: ${env:X}\n';
    expect(only(await load(pool), 'field-not-for-connection-type').map((d) => d.path)).toEqual(['/servers/0/connection_passphrase']);
  });
});

describe('sessions-per-server', () => {
  it('accepts several sessions per reusable RDP or SSH server', async () => {
    expect(codes(await load(serverPool('max_simultaneous_sessions_per_server: 3')))).toEqual([]);
    expect(codes(await load(serverPool('max_simultaneous_sessions_per_server: 3').replace('rdp', 'ssh')))).toEqual([]);
  });
  it('rejects several sessions on kasmvnc or on non-reusable servers', async () => {
    const vnc = await load(serverPool('max_simultaneous_sessions_per_server: 2').replace('rdp', 'kasmvnc'));
    expect(only(vnc, 'sessions-per-server')).toMatchObject([{ path: '/autoscale/0/max_simultaneous_sessions_per_server', line: 14, column: 43 }]);
    const once = await load(serverPool('max_simultaneous_sessions_per_server: 2\nreusable: false'));
    expect(only(once, 'sessions-per-server')[0]?.message).toContain('not reusable');
  });
  it('applies to fixed servers (max_simultaneous_sessions) too', async () => {
    const fixed = (type: string, extra = '') =>
      `kind: Pool\nname: p\ntype: server\nservers:\n  - name: s\n    hostname: 10.0.0.1\n    connection_type: ${type}\n    max_simultaneous_sessions: 2\n${extra}`;
    expect(codes(await load(fixed('rdp')))).toEqual([]);
    expect(codes(await load(fixed('ssh')))).toEqual([]);
    expect(only(await load(fixed('vnc')), 'sessions-per-server')).toMatchObject([{ path: '/servers/0/max_simultaneous_sessions', line: 14, column: 32 }]);
    expect(only(await load(fixed('rdp', '    reusable: false\n')), 'sessions-per-server')[0]?.message).toContain('not reusable');
  });
});
