import { describe, expect, it } from 'vitest';
import type { Config, Pool } from '../config/model.ts';
import { testConfig } from '../providers/testing.ts';
import { serverRecord } from '../../test/fixtures/plan/builders.ts';
import { poolUsesUserKey, renderConnectionAnswer, renderConnectionInfo } from './connection-answer.ts';

const pool: Pool = {
  kind: 'Pool',
  name: 'p',
  type: 'server',
  servers: [
    {
      name: 'ssh',
      hostname: 'h',
      connection_type: 'ssh',
      connection_username: '{sso_username}',
      connection_private_key: '${env:KEY}',
      connection_passphrase: '${env:PASS}',
      connection_info: { 'keep {sso_username}': 'hi {sso_username}', n: 1, list: ['{sso_username}', null] },
    },
    { name: 'rdp', hostname: 'h', connection_type: 'rdp', connection_password: '${env:PW}' },
    { name: 'user', hostname: 'h', connection_type: 'ssh', use_user_private_key: true },
  ],
};
const config: Config = testConfig({ pools: [pool] });
const env = { KEY: 'PEM', PASS: 'pass', PW: 'pw' };
const fixed = (name: string, type: string) => serverRecord(`fixed.p.${name}`, { pool: 'p', autoscale: null, connection_type: type });

describe('renderConnectionAnswer', () => {
  it('SSH: the configured key and passphrase for the owner only; connection_info for everyone, {sso_username} in values only', () => {
    const owner = renderConnectionAnswer(config, fixed('ssh', 'ssh'), { user: 'ann', secrets: {}, includeKeys: true }, env);
    expect(owner).toEqual({
      connection: { username: 'ann', password: '', private_key: 'PEM', passphrase: 'pass' },
      connection_info: { 'keep {sso_username}': 'hi ann', n: 1, list: ['ann', null] },
    });
    const other = renderConnectionAnswer(config, fixed('ssh', 'ssh'), { user: 'ann', secrets: {}, includeKeys: false }, env);
    expect(other.connection).toEqual({ username: 'ann', password: '' });
  });

  it("use_user_private_key: the request's key; other protocols never carry key fields", () => {
    expect(
      renderConnectionAnswer(config, fixed('user', 'ssh'), { user: 'bo', secrets: { sshPrivateKey: 'USERPEM' }, includeKeys: true }, env).connection,
    ).toEqual({
      username: '',
      password: '',
      private_key: 'USERPEM',
    });
    expect(renderConnectionAnswer(config, fixed('rdp', 'rdp'), { user: 'bo', secrets: {}, includeKeys: true }, env)).toEqual({
      connection: { username: '', password: 'pw' },
      connection_info: {},
    });
  });

  it('an unresolvable key reference throws naming the reference, not a value', () => {
    expect(() => renderConnectionAnswer(config, fixed('ssh', 'ssh'), { user: 'ann', secrets: {}, includeKeys: true }, { PASS: 'pass' })).toThrow(
      /\$\{env:KEY\} is not set/,
    );
  });

  it('poolUsesUserKey and an entry without connection_info', () => {
    expect(poolUsesUserKey(pool)).toBe(true);
    expect(poolUsesUserKey({ ...pool, servers: pool.servers?.slice(0, 2) ?? [] })).toBe(false);
    expect(renderConnectionInfo(undefined, 'x')).toEqual({});
  });
});
