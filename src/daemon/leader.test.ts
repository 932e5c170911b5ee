import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../state/sqlite-store.ts';
import type { StateStore } from '../state/types.ts';
import { silentLog } from '../server/types.ts';
import { createLeaderElector } from './leader.ts';

let dir: string | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});

describe('leader elector', () => {
  it('a lease that lapsed locally (stalled loop, clock step) and is won back wakes the daemon again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'poolform-leader-'));
    store = await createSqliteStore({ path: join(dir, 'state.db') });
    let now = Date.parse('2026-01-05T07:00:00Z');
    const changes: boolean[] = [];
    const leader = createLeaderElector({ store, replicaId: 'r1', ttlMs: () => 10_000, clock: () => now, log: silentLog, onChange: (l) => changes.push(l) });
    await leader.tick();
    expect(leader.isLeader()).toBe(true);
    expect(changes).toEqual([true]);

    // A renewal inside the lease changes nothing.
    now += 3_000;
    await leader.tick();
    expect(changes).toEqual([true]);

    // The process stalls past the lease: runs in between are refused...
    now += 30_000;
    expect(leader.isLeader()).toBe(false);
    // ...and the renewal that wins it back tells the daemon, which re-runs what it skipped.
    await leader.tick();
    expect(leader.isLeader()).toBe(true);
    expect(changes).toEqual([true, true]);
    await leader.stop({ release: true });
    expect(changes).toEqual([true, true, false]);
  });
});
