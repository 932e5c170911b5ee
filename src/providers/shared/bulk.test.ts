import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eachItem } from './bulk.ts';

describe('eachItem', () => {
  it('one outcome per item in order, failures isolated, never more than `concurrency` at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), async (fails, concurrency) => {
        let running = 0;
        let peak = 0;
        const results = await eachItem(
          fails.map((f, i) => ({ i, f })),
          concurrency,
          async ({ i, f }) => {
            running++;
            peak = Math.max(peak, running);
            await Promise.resolve();
            running--;
            if (f) throw new Error(`item ${i}`);
          },
        );
        expect(results.map((r) => r.item.i)).toEqual(fails.map((_, i) => i));
        expect(results.map((r) => r.error?.message)).toEqual(fails.map((f, i) => (f ? `item ${i}` : undefined)));
        expect(peak).toBeLessThanOrEqual(concurrency);
      }),
    );
  });
});
