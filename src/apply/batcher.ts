// Batches provider calls that take many items (DNS upsert/delete, VM
// destroy): items added in the same turn of the event loop for the same key
// go out in one call. Each caller gets its own item's outcome; if the whole
// call rejects, every item of that batch rejects (and, per the provider
// contract, is assumed to still exist / not to be done).
import type { ItemResult } from '../providers/types.ts';

export type BatchFlush<T> = (key: string, items: T[]) => Promise<ItemResult<T>[]>;

export interface Batcher<T> {
  add(key: string, item: T): Promise<void>;
}

export function createBatcher<T>(flush: BatchFlush<T>, maxItems = 1000): Batcher<T> {
  const pending = new Map<string, Array<{ item: T; resolve: () => void; reject: (e: unknown) => void }>>();

  const send = (key: string): void => {
    const entries = pending.get(key) ?? [];
    pending.delete(key);
    for (let i = 0; i < entries.length; i += maxItems) {
      const chunk = entries.slice(i, i + maxItems);
      flush(
        key,
        chunk.map((e) => e.item),
      ).then(
        (results) => {
          chunk.forEach((entry, index) => {
            const r = results[index];
            if (!r) entry.reject(new Error('the provider returned no result for this item'));
            else if (r.error) entry.reject(r.error);
            else entry.resolve();
          });
        },
        (error: unknown) => {
          for (const entry of chunk) entry.reject(error);
        },
      );
    }
  };

  return {
    add(key, item) {
      return new Promise<void>((resolve, reject) => {
        let list = pending.get(key);
        if (!list) {
          list = [];
          pending.set(key, list);
          setImmediate(() => send(key));
        }
        list.push({ item, resolve, reject });
      });
    },
  };
}
