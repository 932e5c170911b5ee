// Per-item bulk calls with bounded concurrency, for providers whose API
// deletes one resource per call (Azure, GCP, OpenStack): each item gets its
// own outcome (providers/types.ts ItemResult), one failure never stops the
// others, and at most `concurrency` calls run at once.
import type { ItemResult } from '../types.ts';

export async function eachItem<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<ItemResult<T>[]> {
  const results: ItemResult<T>[] = items.map((item) => ({ item }));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < results.length) {
      const result = results[next++];
      if (!result) continue;
      try {
        await fn(result.item);
      } catch (error) {
        result.error = error instanceof Error ? error : new Error(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), results.length) }, worker));
  return results;
}
