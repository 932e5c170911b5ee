// Bounded retry and polling with exponential backoff, shared by the cloud
// providers that drive their own retries and long-running operations (GCP's
// zonal operations, throttled calls). Pure apart from the injected `sleep` and
// `now`: tests pass instant ones and assert call counts, never durations.
//
// Delays: attempt n waits min(maxMs, baseMs * 2^n) with "equal jitter" (half
// fixed, half random) so many callers do not retry in lockstep; a delay the
// service asked for (Retry-After / google.rpc.RetryInfo) wins when longer,
// capped at `maxMs` * 4 so a bogus hint cannot stall a reconcile.

export interface BackoffOptions {
  /** First delay (ms). */
  baseMs: number;
  /** Longest computed delay (ms). */
  maxMs: number;
  /** Source of randomness in [0, 1) (default Math.random). */
  random?: () => number;
}

/** The delay before retry number `attempt` (0-based); `hintMs` is what the service asked for, if anything. */
export function backoffDelay(attempt: number, options: BackoffOptions, hintMs?: number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const random = options.random ?? Math.random;
  const computed = ceiling / 2 + (ceiling / 2) * random();
  if (hintMs !== undefined && Number.isFinite(hintMs) && hintMs > computed) return Math.min(hintMs, options.maxMs * 4);
  return computed;
}

/**
 * A Retry-After header value in ms: delta-seconds or an HTTP-date (RFC 9110
 * §10.2.3); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  sleep?: (ms: number) => Promise<void>;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying while `classify` says the error is transient (returns
 * `{ retry: true, hintMs? }`), at most `maxRetries` times. The last error is
 * rethrown as is.
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  classify: (error: unknown) => { retry: boolean; hintMs?: number },
  options: RetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const verdict = classify(error);
      if (!verdict.retry || attempt >= options.maxRetries) throw error;
      await sleep(backoffDelay(attempt, options, verdict.hintMs));
    }
  }
}

export interface PollOptions extends BackoffOptions {
  /** Give up after this long (ms, by `now`). */
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class PollTimeoutError extends Error {
  readonly waitedMs: number;
  readonly polls: number;
  constructor(waitedMs: number, polls: number) {
    super(`operation not finished after ${polls} polls (${Math.round(waitedMs / 1000)} s)`);
    this.name = 'PollTimeoutError';
    this.waitedMs = waitedMs;
    this.polls = polls;
  }
}

/**
 * Reads `read()` until `done(value)`, sleeping with backoff in between, and
 * throws PollTimeoutError once `timeoutMs` has passed. The first read happens
 * at once (an operation may already be DONE).
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, options: PollOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const start = now();
  for (let polls = 0; ; polls++) {
    const value = await read();
    if (done(value)) return value;
    const waited = now() - start;
    if (waited >= options.timeoutMs) throw new PollTimeoutError(waited, polls + 1);
    await sleep(Math.min(backoffDelay(polls, options), Math.max(1, options.timeoutMs - waited)));
  }
}

export class CallTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no answer within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'CallTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * `promise`, or CallTimeoutError after `timeoutMs`: a bound on one SDK call
 * including what the SDK does before it (token requests, whose retries and
 * waits are its own). The call itself is not cancelled: its outcome is unknown.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  if (!Number.isFinite(timeoutMs)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CallTimeoutError(timeoutMs)), timeoutMs);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
