import { describe, expect, it } from 'vitest';
import { NO_FAILURES } from './backoff.ts';
import type { ReconcileOutcome } from './pipeline.ts';
import { nextRequeue } from './requeue.ts';
import type { RunResult } from './requeue.ts';

const OK: ReconcileOutcome = { changes: [], applied: 0, failed: 0, held: [], decisions: [], errors: [], providerErrors: [], audited: true };
const INTERVAL = 30_000;

function sequence(results: RunResult[]): [number, string][] {
  let state = NO_FAILURES;
  return results.map((r) => {
    const next = nextRequeue(state, r, INTERVAL);
    state = next.state;
    return [next.delayMs, next.reason];
  });
}

describe('requeue', () => {
  it('retryable errors and failed changes back off; a clean run resets to the interval', () => {
    expect(
      sequence([
        { kind: 'error', disposition: 'retryable' },
        { kind: 'done', outcome: { ...OK, failed: 1 } },
        { kind: 'done', outcome: { ...OK, providerErrors: [{ provider: 'aws', message: 'down' }] } },
        { kind: 'skipped' },
        { kind: 'done', outcome: OK },
      ]),
    ).toEqual([
      [1_000, 'retry after 1 failed run(s)'],
      [2_000, 'retry after 2 failed run(s)'],
      [4_000, 'retry after 3 failed run(s)'],
      [4_000, 'retry after 3 failed run(s)'],
      [INTERVAL, 'interval'],
    ]);
  });

  it('a run that failed as a whole backs off to 5 min; partial failures only up to the interval', () => {
    const whole = sequence(Array.from({ length: 10 }, () => ({ kind: 'error', disposition: 'retryable' }) as const));
    expect(whole.map(([ms]) => ms)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000]);
    const partial = sequence(Array.from({ length: 7 }, () => ({ kind: 'done', outcome: { ...OK, failed: 1 } }) as const));
    expect(partial.map(([ms]) => ms)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, INTERVAL, INTERVAL]);
  });

  it('a terminal error is not retried early and ends the streak', () => {
    expect(
      sequence([
        { kind: 'error', disposition: 'retryable' },
        { kind: 'error', disposition: 'terminal' },
        { kind: 'error', disposition: 'retryable' },
      ]),
    ).toEqual([
      [1_000, 'retry after 1 failed run(s)'],
      [INTERVAL, 'interval'],
      [1_000, 'retry after 1 failed run(s)'],
    ]);
  });

  it('a clean run may ask to be requeued sooner than the interval, never later', () => {
    expect(sequence([{ kind: 'done', outcome: { ...OK, requeueAfterMs: 5_000 } }])).toEqual([[5_000, 'requeue']]);
    expect(sequence([{ kind: 'done', outcome: { ...OK, requeueAfterMs: 90_000 } }])).toEqual([[INTERVAL, 'interval']]);
  });
});
