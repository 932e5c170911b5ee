import { describe, expect, it } from 'vitest';
import { createSingleFlight } from './single-flight.ts';

describe('createSingleFlight', () => {
  it('concurrent calls for one key share one run; other keys run on their own', async () => {
    const flight = createSingleFlight<number>();
    let runs = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const run = async () => {
      runs++;
      await gate;
      return runs;
    };
    const a = flight('i-1', run);
    const b = flight('i-1', run);
    const c = flight('i-2', run);
    release();
    expect(await Promise.all([a, b, c])).toEqual([2, 2, 2]);
    expect(runs).toBe(2);
  });

  it('a settled run is forgotten: the next call starts a new one, also after a failure', async () => {
    const flight = createSingleFlight<string>();
    await expect(flight('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await flight('k', async () => 'again')).toBe('again');
    expect(await flight('k', async () => 'third')).toBe('third');
  });
});
