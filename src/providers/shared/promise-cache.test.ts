import { describe, expect, it } from 'vitest';
import { cachedPromise } from './promise-cache.ts';

describe('cachedPromise', () => {
  it('loads once per key and shares the result', async () => {
    const cache = new Map<string, Promise<number>>();
    let loads = 0;
    const load = async () => ++loads;
    expect(await cachedPromise(cache, 'a', load)).toBe(1);
    expect(await cachedPromise(cache, 'a', load)).toBe(1);
    expect(await cachedPromise(cache, 'b', load)).toBe(2);
    expect(loads).toBe(2);
  });

  it('forgets a failed load, so the next call loads again', async () => {
    const cache = new Map<string, Promise<number>>();
    await expect(cachedPromise(cache, 'a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.has('a')).toBe(false);
    expect(await cachedPromise(cache, 'a', async () => 7)).toBe(7);
  });
});
