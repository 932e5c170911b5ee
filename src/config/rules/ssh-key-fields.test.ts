import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const load = (pool: string) => loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${pool}` });
const ssh = (extra: string) => serverPool(extra).replace('rdp', 'ssh');

describe('ssh-key-conflict / ssh-passphrase-without-key', () => {
  it('accepts use_user_private_key alone, and a key with its passphrase', async () => {
    expect(codes(await load(ssh('use_user_private_key: true\nconnection_username: "{sso_username}"')))).toEqual([]);
    expect(codes(await load(ssh('connection_private_key: ${env:KEY}\nconnection_passphrase: ${env:PASS}')))).toEqual([]);
  });
  it('rejects a configured key beside use_user_private_key, at the key field', async () => {
    const r = await load(ssh('use_user_private_key: true\nconnection_private_key: ${env:KEY}\nconnection_passphrase: ${env:PASS}'));
    expect(only(r, 'ssh-key-conflict').map((d) => d.path)).toEqual(['/autoscale/0/connection_private_key', '/autoscale/0/connection_passphrase']);
  });
  it('rejects a passphrase without a key (fixed servers too)', async () => {
    const pool =
      'kind: Pool\nname: p\ntype: server\nservers:\n  - name: s\n    hostname: 10.0.0.1\n    connection_type: ssh\n    connection_passphrase: ${env:X}\n';
    const r = await load(pool);
    expect(only(r, 'ssh-passphrase-without-key')).toMatchObject([{ path: '/servers/0/connection_passphrase', line: 14 }]);
    expect(JSON.stringify(r.diagnostics)).not.toContain('${env:X}');
  });
});
