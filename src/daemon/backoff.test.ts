import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { afterRun, backoffDelay, NO_FAILURES, RECONCILE_BACKOFF } from './backoff.ts';

describe('backoff', () => {
  it('waits 1 s after the first failure, doubling to 5 min', () => {
    expect([1, 2, 3, 4, 5, 6, 9, 10, 50].map((n) => backoffDelay(n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 256_000, 300_000, 300_000]);
    expect(backoffDelay(0)).toBe(0);
  });

  it('a failure counts one more and requeues; a success resets and does not', () => {
    let state = NO_FAILURES;
    const delays: (number | null)[] = [];
    for (const failed of [true, true, true, false, true]) {
      const next = afterRun(state, failed);
      state = next.state;
      delays.push(next.requeueAfterMs);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, null, 1_000]);
    expect(state.failures).toBe(1);
  });

  it('never shrinks with more failures and never passes the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (n) => {
        const d = backoffDelay(n);
        expect(d).toBeGreaterThanOrEqual(RECONCILE_BACKOFF.baseMs);
        expect(d).toBeLessThanOrEqual(RECONCILE_BACKOFF.maxMs);
        expect(backoffDelay(n + 1)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
