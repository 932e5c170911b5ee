import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimitGate, paceDelay, parseRateLimitHeaders } from './rate-limit.ts';

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('rate-limit pacing', () => {
  it('reads ratelimit-* headers: Unix-seconds and delta-seconds resets', () => {
    const now = 1_700_000_000_000;
    expect(parseRateLimitHeaders(headers({ 'ratelimit-limit': '5000', 'ratelimit-remaining': '4999', 'ratelimit-reset': '1700000060' }), now)).toEqual({
      limit: 5000,
      remaining: 4999,
      resetAt: 1_700_000_060_000,
    });
    expect(parseRateLimitHeaders(headers({ 'ratelimit-remaining': '3', 'ratelimit-reset': '30' }), now).resetAt).toBe(now + 30_000);
    expect(parseRateLimitHeaders(headers({ 'ratelimit-remaining': 'x' }), now).remaining).toBeUndefined();
  });

  it('never waits with budget left above the watermark, never longer than maxWaitMs, and waits at zero', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 7_200_000 }),
        (remaining, limit, untilReset) => {
          const d = paceDelay({ limit, remaining, resetAt: 1000 + untilReset }, 1000, { maxWaitMs: 60_000 });
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(60_000);
          if (remaining > Math.max(5, Math.floor(limit * 0.02))) expect(d).toBe(0);
          if (remaining === 0 && untilReset > 0) expect(d).toBe(Math.min(60_000, untilReset));
        },
      ),
    );
  });

  it('the gate sleeps as asked and counts the waits', async () => {
    const waits: number[] = [];
    const gate = createRateLimitGate({ now: () => 0, sleep: async (ms) => void waits.push(ms) });
    await gate.beforeCall();
    expect(waits).toEqual([]);
    gate.observe(headers({ 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', 'ratelimit-reset': '10' }));
    await gate.beforeCall();
    expect(waits).toEqual([10_000]);
    expect(gate.waitedMs).toBe(10_000);
  });
});
