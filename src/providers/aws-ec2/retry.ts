// The SDK retry strategy poolform gives every AWS client (EC2, Route 53):
// throttling (RequestLimitExceeded, Throttling, PriorRequestNotComplete, ...),
// transient network failures and 5xx answers are retried with exponential
// backoff and full jitter, bounded in attempts and in delay. Client errors
// (bad AMI, no permission, no capacity) are not retried here: they surface at
// once as PoolformError, and the autoscaler decides when to try again.
import type { EC2ClientConfig } from '@aws-sdk/client-ec2';

type RetryStrategyOption = NonNullable<EC2ClientConfig['retryStrategy']>;
/** The SDK's token-based (v2) retry strategy interface. */
export type RetryStrategyV2 = Extract<RetryStrategyOption, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<RetryStrategyV2['refreshRetryTokenForRetry']>[1];

export interface BackoffOptions {
  /** Total attempts including the first (default 8). */
  maxAttempts?: number;
  /** Backoff base for transient/5xx errors in ms (default 100). */
  baseDelayMs?: number;
  /** Backoff base for throttling in ms (default 500). */
  throttlingBaseDelayMs?: number;
  /** Upper bound of any single delay in ms (default 20,000). */
  maxDelayMs?: number;
  /** Source of jitter in [0, 1) (tests pin it). */
  random?: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/** AWS has no capacity for the request right now (sent as 5xx). */
export const CAPACITY_CODES: ReadonlySet<string> = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'InsufficientHostCapacity']);
/** An account limit is reached. */
export const LIMIT_CODES: ReadonlySet<string> = new Set(['InstanceLimitExceeded', 'VcpuLimitExceeded', 'MaxSpotInstanceCountExceeded']);

/**
 * Answers AWS sends as 5xx that retrying at once will not fix: capacity and
 * limits. They surface immediately; the autoscaler retries later with backoff.
 */
const NOT_RETRIED: ReadonlySet<string> = new Set([...CAPACITY_CODES, ...LIMIT_CODES]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { Code: code, name } = error as { Code?: unknown; name?: unknown };
  if (typeof code === 'string' && code) return code;
  return typeof name === 'string' ? name : undefined;
}

/** Delay before retry number `retry` (1-based): full jitter over base·2^(retry-1), capped. */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

function token(retryCount: number, delay: number): RetryToken {
  return {
    getRetryCount: () => retryCount,
    getRetryDelay: () => delay,
  };
}

export function createBackoffRetryStrategy(options: BackoffOptions = {}): RetryStrategyV2 {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const base = options.baseDelayMs ?? 100;
  const throttlingBase = options.throttlingBaseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 20_000;
  const random = options.random ?? Math.random;
  return {
    async acquireInitialRetryToken() {
      return token(0, 0);
    },
    async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo) {
      const retry = previous.getRetryCount() + 1;
      const code = errorCode(info.error);
      const retryable =
        (info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT' || info.errorType === 'SERVER_ERROR') &&
        !(code !== undefined && NOT_RETRIED.has(code));
      if (!retryable || retry >= maxAttempts) throw info.error ?? new Error('retry refused');
      let delay = backoffDelay(retry, info.errorType === 'THROTTLING' ? throttlingBase : base, maxDelay, random);
      const hint = info.retryAfterHint?.getTime();
      if (hint !== undefined) delay = Math.min(maxDelay, Math.max(delay, hint - Date.now()));
      return token(retry, delay);
    },
    recordSuccess() {
      // stateless: no retry quota to refill
    },
  };
}

/** AWS error codes that mean "too many requests": retried with the throttling backoff. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
]);

/** Attempts the SDK's retry middleware made for this error (1 when it never retried or never saw it). */
function sdkAttempts(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 1;
  const attempts = (error as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 0 ? attempts : 1;
}

/**
 * Runs one AWS call, retrying throttling errors the SDK's own retry loop did
 * not retry (an injected client configured without retries, or a throttle
 * raised outside the retry middleware). Throttling the SDK already retried
 * (attempts > 1) is not retried again: that would multiply the attempts.
 */
export async function withThrottleRetry<T>(send: () => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const base = options.throttlingBaseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 20_000;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const code = errorCode(error);
      const throttled = code !== undefined && THROTTLING_CODES.has(code);
      if (!throttled || sdkAttempts(error) > 1 || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, base, maxDelay, random)));
    }
  }
}
