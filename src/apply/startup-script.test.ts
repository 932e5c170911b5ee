import { decode } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { MANAGER_PURPOSE, generateSigningKey, verifyCheckinToken } from '../auth/checkin-token.ts';
import { testAutoscale, testConfig, testPool } from '../providers/testing.ts';
import { startupValues } from './startup-script.ts';

async function tokenLifetimeSeconds(checkinTimeout: string, lifetime: string): Promise<number> {
  const autoscale = testAutoscale({ checkin_timeout: checkinTimeout });
  const pool = testPool('desk', [autoscale]);
  const config = testConfig({ pools: [pool], settings: { kind: 'Settings', checkin_token_lifetime: lifetime } });
  const values = await startupValues({
    config,
    env: {},
    apiAddress: '127.0.0.1:8080',
    signingKey: generateSigningKey(),
    nowMs: Date.parse('2026-01-05T12:00:00Z'),
    pool,
    autoscale,
    providerKind: 'local',
    template: '{checkin_jwt}',
    serverId: 's1',
    hostname: 'desk-s1',
    fqdn: null,
    adJoinCredential: null,
  });
  const { payload } = decode(values.checkin_jwt ?? '');
  return Number(payload['exp']) - Number(payload['iat']);
}

describe('startupValues: {checkin_jwt}', () => {
  it('lasts Settings.checkin_token_lifetime', async () => {
    expect(await tokenLifetimeSeconds('30m', '4h')).toBe(4 * 3600);
  });

  it('outlives a check-in timeout longer than that lifetime, so a slow first boot can still check in', async () => {
    expect(await tokenLifetimeSeconds('6h', '4h')).toBe(6 * 3600 + 600);
  });
});

describe('startupValues: docker agents (issue 16)', () => {
  const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const KEY = '-----BEGIN PRIVATE KEY-----\nnginx-key-body\n-----END PRIVATE KEY-----\n';
  async function values(type: 'server' | 'docker_agent') {
    const autoscale = testAutoscale({ nginx_cert: CERT, nginx_key: '${env:NGINX_KEY}' });
    const pool = { ...testPool('agents', [autoscale]), type };
    const config = testConfig({ pools: [pool] });
    const signingKey = generateSigningKey();
    const v = await startupValues({
      config,
      env: { NGINX_KEY: KEY },
      apiAddress: '127.0.0.1:8080',
      signingKey,
      nowMs: Date.now(),
      pool,
      autoscale,
      providerKind: 'local',
      template: '',
      serverId: 'agent-1',
      hostname: 'agents-1',
      fqdn: null,
      adJoinCredential: null,
    });
    return { v, signingKey };
  }

  it("{nginx_cert} and {nginx_key} are the config's PEMs (the key resolved); {manager_token} is a registration token, not the check-in token", async () => {
    const { v, signingKey } = await values('docker_agent');
    expect(v.nginx_cert).toBe(CERT);
    expect(v.nginx_key).toBe(KEY);
    expect(v.manager_token).not.toBe(v.checkin_jwt);
    expect(await verifyCheckinToken(signingKey, v.manager_token ?? '', Date.now(), MANAGER_PURPOSE)).toBe('agent-1');
    expect(await verifyCheckinToken(signingKey, v.manager_token ?? '', Date.now())).toBeNull();
    expect(await verifyCheckinToken(signingKey, v.checkin_jwt ?? '', Date.now(), MANAGER_PURPOSE)).toBeNull();
  });

  it('server pools render them empty', async () => {
    const { v } = await values('server');
    expect([v.nginx_cert, v.nginx_key, v.manager_token]).toEqual(['', '', '']);
  });
});
