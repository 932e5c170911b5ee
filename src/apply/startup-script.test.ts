import { decode } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../auth/checkin-token.ts';
import { testAutoscale, testConfig, testPool } from '../providers/testing.ts';
import { startupValues } from './startup-script.ts';

async function tokenLifetimeSeconds(checkinTimeout: string, lifetime: string): Promise<number> {
  const autoscale = testAutoscale({ checkin_timeout: checkinTimeout });
  const pool = testPool('desk', [autoscale]);
  const config = testConfig({ pools: [pool], settings: { kind: 'Settings', checkin_token_lifetime: lifetime } });
  const values = await startupValues({
    config, env: {}, apiAddress: '127.0.0.1:8080', signingKey: generateSigningKey(), nowMs: Date.parse('2026-01-05T12:00:00Z'),
    pool, autoscale, providerKind: 'local', template: '{checkin_jwt}', serverId: 's1', hostname: 'desk-s1', fqdn: null, adJoinCredential: null,
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
