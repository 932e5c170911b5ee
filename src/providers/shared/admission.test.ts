import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxInstancesReached, serialGate, settleEach } from './admission.ts';

describe('shared admission helpers', () => {
  it('serialGate never runs two steps at once, and a failure does not block the next', async () => {
    const serially = serialGate();
    let running = 0;
    let peak = 0;
    const step = (fail: boolean) =>
      serially(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
        if (fail) throw new Error('no');
        return 'ok';
      });
    const outcomes = await Promise.allSettled([step(false), step(true), step(false)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(peak).toBe(1);
  });

  it('settleEach keeps order and per-item errors, with at most `concurrency` in flight', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 30 }), fc.integer({ min: 1, max: 8 }), async (fails, concurrency) => {
        let inFlight = 0;
        let peak = 0;
        const results = await settleEach(
          fails.map((f, i) => ({ i, f })),
          concurrency,
          async ({ f }) => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            await Promise.resolve();
            inFlight--;
            if (f) throw new Error('x');
          },
        );
        expect(results.map((r) => r.item.i)).toEqual(fails.map((_, i) => i));
        expect(results.map((r) => r.error !== undefined)).toEqual(fails);
        expect(peak).toBeLessThanOrEqual(concurrency);
      }),
    );
  });

  it('maxInstancesReached is retryable and says nothing was created', () => {
    const e = maxInstancesReached({ where: 'VmProvider do', max: 2, live: 2, launching: 1, noun: 'droplets' });
    expect(e.code).toBe('max-instances-reached');
    expect(e.retryable).toBe(true);
    expect(e.nothingCreated).toBe(true);
    expect(e.message).toBe('VmProvider do: max_instances (2) reached: 2 droplets exist and 1 being created; raise max_instances to create more');
  });
});
