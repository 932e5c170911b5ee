import { describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import type { LoadResult } from '../config/model.ts';
import { silentLog } from '../server/types.ts';
import { createConfigHolder } from './config-reload.ts';

const good = (pools: string[]): LoadResult => ({ config: makeConfig({ pools: pools.map((p) => serverPool(p, [{}])) }), diagnostics: [] });
const bad: LoadResult = { diagnostics: [{ severity: 'error', code: 'yaml-syntax', message: 'bad', file: 'pools.yaml', line: 3, column: 1, path: '' }] };

describe('config reload', () => {
  it('a valid load replaces the config; an invalid one keeps it and shows its diagnostics', async () => {
    const results = [good(['b']), bad];
    const loaded: string[] = [];
    let now = Date.parse('2026-01-05T12:00:00Z');
    const holder = createConfigHolder({
      dir: '/cfg',
      load: async () => results.shift() ?? bad,
      initial: good(['a']),
      log: silentLog,
      clock: () => now,
      onLoaded: (c) => loaded.push(c.pools.map((p) => p.name).join()),
    });
    expect(holder.loadedAt()).toBe('2026-01-05T12:00:00.000Z');
    now += 1_000;
    await holder.reload();
    expect(holder.config()?.pools[0]?.name).toBe('b');
    expect(holder.loadedAt()).toBe('2026-01-05T12:00:01.000Z');
    await holder.reload();
    expect(holder.config()?.pools[0]?.name).toBe('b');
    expect(holder.diagnostics()[0]?.code).toBe('yaml-syntax');
    expect(loaded).toEqual(['b']);
  });

  it('a load that throws becomes a diagnostic; reloads run one at a time in order', async () => {
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    let n = 0;
    const holder = createConfigHolder({
      dir: '/cfg',
      load: async () => {
        const mine = ++n;
        active++;
        maxActive = Math.max(maxActive, active);
        await Promise.resolve();
        order.push(mine);
        active--;
        if (mine === 2) throw new Error('EACCES');
        return good([`p${mine}`]);
      },
      initial: bad,
      log: silentLog,
      clock: () => 0,
    });
    expect(holder.config()).toBeUndefined();
    expect(holder.loadedAt()).toBeNull();
    await Promise.all([holder.reload(), holder.reload(), holder.reload()]);
    expect(order).toEqual([1, 2, 3]);
    expect(maxActive).toBe(1);
    expect(holder.config()?.pools[0]?.name).toBe('p3');
    await holder.settled();
  });

  it('records a throwing load as load-failed', async () => {
    const holder = createConfigHolder({
      dir: '/cfg',
      load: async () => Promise.reject(new Error('EACCES')),
      initial: good(['a']),
      log: silentLog,
      clock: () => 0,
    });
    await holder.reload();
    expect(holder.diagnostics()).toMatchObject([{ severity: 'error', code: 'load-failed', message: 'EACCES' }]);
    expect(holder.config()?.pools[0]?.name).toBe('a');
  });
});
