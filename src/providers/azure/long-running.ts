// Waits for an ARM long-running operation (an SDK PollerLike) with poolform's
// own schedule instead of the SDK's fixed interval: the initial request, then
// polls after pollIntervalMs, 2×, 4×, ... capped at maxPollIntervalMs, until
// the operation is done or `timeoutMs` has passed (then a TimeoutError; the
// operation may still finish in Azure, so the caller treats it as unknown).
// A Failed operation rejects from poll() with core-lro's error ("The
// long-running operation has failed. <code>. <message>"), mapped by errors.ts.
import type { OperationState, PollerLike } from '@azure/core-lro';

export interface PollSchedule {
  /** First wait before polling (ms). */
  pollIntervalMs: number;
  /** Longest wait between polls (ms). */
  maxPollIntervalMs: number;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Injected in tests to record the waits. */
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock for the deadline (default Date.now). */
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The wait before poll number `attempt` (0-based): exponential, capped. */
export function pollDelay(attempt: number, schedule: Pick<PollSchedule, 'pollIntervalMs' | 'maxPollIntervalMs'>): number {
  return Math.min(schedule.maxPollIntervalMs, schedule.pollIntervalMs * 2 ** Math.min(attempt, 30));
}

export async function untilDone<T>(poller: PollerLike<OperationState<T>, T>, schedule: PollSchedule): Promise<T> {
  const sleep = schedule.sleep ?? realSleep;
  const now = schedule.now ?? Date.now;
  const deadline = now() + schedule.timeoutMs;
  const abortSignal = AbortSignal.timeout(schedule.timeoutMs);
  await poller.submitted();
  for (let attempt = 0; !poller.isDone; attempt++) {
    const remaining = deadline - now();
    if (remaining <= 0) throw new DOMException(`the operation did not finish within ${schedule.timeoutMs} ms`, 'TimeoutError');
    await sleep(Math.min(remaining, pollDelay(attempt, schedule)));
    await poller.poll({ abortSignal });
  }
  return poller.result as T;
}
