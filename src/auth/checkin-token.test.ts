import { describe, expect, it } from 'vitest';
import { generateSigningKey, signCheckinToken, verifyCheckinToken } from './checkin-token.ts';

const HOUR = 3_600_000;

describe('check-in tokens', () => {
  const key = generateSigningKey();

  it('judges time against the clock it is given, not the wall clock (replicas with skewed clocks agree)', async () => {
    const signedAt = Date.parse('2020-01-01T00:00:00Z');
    const token = await signCheckinToken(key, 'srv1', signedAt, 4 * HOUR);
    expect(await verifyCheckinToken(key, token, signedAt + HOUR)).toBe('srv1');
    expect(await verifyCheckinToken(key, token, signedAt + 4 * HOUR)).toBeNull();
  });

  it('refuses another key and tampered tokens', async () => {
    const now = Date.now();
    const token = await signCheckinToken(key, 'srv1', now, HOUR);
    expect(await verifyCheckinToken(generateSigningKey(), token, now)).toBeNull();
    const [h, p, s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'srv2', purpose: 'checkin', exp: 9e9 })).toString('base64url')}.${s}`;
    expect(p).toBeDefined();
    expect(await verifyCheckinToken(key, forged, now)).toBeNull();
  });
});
