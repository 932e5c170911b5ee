import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, CallTimeoutError, PollTimeoutError, parseRetryAfter, pollUntil, withRetries, withTimeout } from './backoff.ts';

describe('shared backoff', () => {
  it('delays stay within [ceiling/2, ceiling] and never above 4x max even with a hint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
        (attempt, baseMs, maxMs, r, hint) => {
          const d = backoffDelay(attempt, { baseMs, maxMs, random: () => r }, hint);
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
          expect(d).toBeGreaterThanOrEqual(ceiling / 2);
          expect(d).toBeLessThanOrEqual(Math.max(ceiling, Math.min(hint ?? 0, maxMs * 4)));
        },
      ),
    );
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('withRetries retries only what classify allows, at most maxRetries times', async () => {
    let calls = 0;
    const sleeps: number[] = [];
    const fail = withRetries(
      async () => {
        calls++;
        throw new Error('busy');
      },
      () => ({ retry: true, hintMs: 5 }),
      { maxRetries: 3, baseMs: 1, maxMs: 2, sleep: async (ms) => void sleeps.push(ms) },
    );
    await expect(fail).rejects.toThrow('busy');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([5, 5, 5]);
    calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new Error('no');
        },
        () => ({ retry: false }),
        { maxRetries: 3, baseMs: 1, maxMs: 2 },
      ),
    ).rejects.toThrow('no');
    expect(calls).toBe(1);
  });

  it('pollUntil backs off and stops at the bound', async () => {
    let clock = 0;
    let reads = 0;
    const error = await pollUntil(
      async () => {
        reads++;
        return 'RUNNING';
      },
      (s) => s === 'DONE',
      { baseMs: 1000, maxMs: 10_000, timeoutMs: 60_000, now: () => clock, sleep: async (ms) => void (clock += ms), random: () => 0.5 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(reads).toBeLessThan(15);
    expect(clock).toBe(60_000);
    let n = 0;
    expect(
      await pollUntil(
        async () => ++n,
        (v) => v === 3,
        { baseMs: 1, maxMs: 1, timeoutMs: 1000, sleep: async () => undefined },
      ),
    ).toBe(3);
  });

  it('withTimeout bounds a call that never answers, and passes answers through', async () => {
    await expect(withTimeout(new Promise(() => undefined), 5)).rejects.toBeInstanceOf(CallTimeoutError);
    expect(await withTimeout(Promise.resolve(7), 1000)).toBe(7);
    await expect(withTimeout(Promise.reject(new Error('x')), 1000)).rejects.toThrow('x');
  });
});
