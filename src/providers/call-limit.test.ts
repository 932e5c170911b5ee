import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyedLimiter, createLimiter, mapLimit } from './call-limit.ts';
import { propertyRuns } from '../testing/property-runs.ts';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('call limiter', () => {
  it('never runs more than n tasks at once and runs them all (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 25 }),
        async (n, tasks) => {
          const limit = createLimiter(n);
          let running = 0;
          let peak = 0;
          const outcomes = await Promise.allSettled(
            tasks.map(([ms, fail], i) =>
              limit(async () => {
                running++;
                peak = Math.max(peak, running);
                await tick(ms);
                running--;
                if (fail) throw new Error(`task ${i}`);
                return i;
              }),
            ),
          );
          expect(peak).toBeLessThanOrEqual(n);
          outcomes.forEach((o, i) => {
            const fail = tasks[i]?.[1];
            if (fail) expect(o.status).toBe('rejected');
            else expect(o).toEqual({ status: 'fulfilled', value: i });
          });
          expect(limit.active).toBe(0);
          expect(limit.pending).toBe(0);
        },
      ),
      { numRuns: propertyRuns(40) },
    );
  });

  it('starts queued tasks in order, and uses the whole bound', async () => {
    const limit = createLimiter(2);
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const all = [0, 1, 2, 3].map((i) =>
      limit(() => {
        started.push(i);
        return new Promise<void>((r) => gates.push(r));
      }),
    );
    await tick(0);
    expect(started).toEqual([0, 1]);
    expect(limit.pending).toBe(2);
    gates[1]?.();
    await tick(0);
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.();
    gates[2]?.();
    await tick(0);
    gates[3]?.();
    await Promise.all(all);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('a task that throws synchronously frees its slot', async () => {
    const limit = createLimiter(1);
    await expect(
      limit(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await limit(async () => 5)).toBe(5);
  });

  it('keyed limiters bound each key separately', async () => {
    const limit = createKeyedLimiter(1);
    const running = new Map<string, number>();
    let peakTotal = 0;
    let total = 0;
    await Promise.all(
      ['a', 'b', 'a', 'b', 'c'].map((key) =>
        limit(key, async () => {
          expect(running.get(key) ?? 0).toBe(0);
          running.set(key, 1);
          total++;
          peakTotal = Math.max(peakTotal, total);
          await tick(5);
          total--;
          running.set(key, 0);
        }),
      ),
    );
    expect(peakTotal).toBe(3);
    expect(limit.get('a').active).toBe(0);
  });

  it('mapLimit keeps order; rejects bad bounds', async () => {
    expect(await mapLimit([3, 1, 2], 2, async (x) => (await tick(x), x * 10))).toEqual([30, 10, 20]);
    expect(() => createLimiter(0)).toThrow(RangeError);
  });
});
