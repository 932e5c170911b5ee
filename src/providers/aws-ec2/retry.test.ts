import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, createBackoffRetryStrategy, type RetryStrategyV2, withThrottleRetry } from './retry.ts';

type SdkError = NonNullable<Parameters<RetryStrategyV2['refreshRetryTokenForRetry']>[1]['error']>;
const err = (name: string): SdkError => ({ name, message: name, $metadata: {} });

describe('backoffDelay', () => {
  it('is full jitter over an exponentially growing, capped ceiling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 30_000 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (retry, base, max, r) => {
          const delay = backoffDelay(retry, base, max, () => r);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(max, base * 2 ** (retry - 1)));
        },
      ),
    );
    expect(backoffDelay(3, 100, 20_000, () => 0.5)).toBe(200);
  });
});

describe('createBackoffRetryStrategy', () => {
  it('retries throttling with the throttling base, up to maxAttempts', async () => {
    const strategy = createBackoffRetryStrategy({ maxAttempts: 3, throttlingBaseDelayMs: 1000, baseDelayMs: 10, random: () => 0.5 });
    let token = await strategy.acquireInitialRetryToken('');
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error: err('RequestLimitExceeded') });
    expect([token.getRetryCount(), token.getRetryDelay()]).toEqual([1, 500]);
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error: err('Throttling') });
    expect([token.getRetryCount(), token.getRetryDelay()]).toEqual([2, 1000]);
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error: err('Throttling') })).rejects.toMatchObject({
      name: 'Throttling',
    });
  });

  it('does not retry client errors or capacity answers', async () => {
    const strategy = createBackoffRetryStrategy();
    const token = await strategy.acquireInitialRetryToken('');
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR', error: err('InvalidAMIID.NotFound') })).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound',
    });
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR', error: err('InsufficientInstanceCapacity') })).rejects.toMatchObject({
      name: 'InsufficientInstanceCapacity',
    });
    const retried = await strategy.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR', error: err('InternalError') });
    expect(retried.getRetryCount()).toBe(1);
  });
});

describe('withThrottleRetry', () => {
  const throttle = (attempts: number): Error => Object.assign(new Error('slow down'), { name: 'Throttling', $metadata: { attempts } });
  const fast = { throttlingBaseDelayMs: 1, maxDelayMs: 2 };

  it('retries throttling the SDK did not retry, up to maxAttempts', async () => {
    let calls = 0;
    await expect(
      withThrottleRetry(async () => {
        calls++;
        if (calls < 3) throw throttle(1);
        return 'ok';
      }, fast),
    ).resolves.toBe('ok');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      withThrottleRetry(
        async () => {
          calls++;
          throw throttle(1);
        },
        { ...fast, maxAttempts: 4 },
      ),
    ).rejects.toThrow('slow down');
    expect(calls).toBe(4);
  });

  it('does not retry throttling the SDK already retried, nor other errors', async () => {
    let calls = 0;
    await expect(
      withThrottleRetry(async () => {
        calls++;
        throw throttle(8);
      }, fast),
    ).rejects.toThrow();
    await expect(
      withThrottleRetry(async () => {
        calls++;
        throw Object.assign(new Error('bad ami'), { name: 'InvalidAMIID.NotFound' });
      }, fast),
    ).rejects.toThrow('bad ami');
    expect(calls).toBe(2);
  });
});
