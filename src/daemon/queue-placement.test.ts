import { describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import type { SessionRecord } from '../state/types.ts';
import { session } from '../../test/fixtures/plan/builders.ts';
import type { Log } from '../server/types.ts';
import { placeQueuedSessions } from './queue-placement.ts';
import type { QueueStore } from './queue-placement.ts';

describe('queue placement', () => {
  it('places each pool in turn; a pool that fails is logged and the others go on', async () => {
    const config = makeConfig({ pools: [serverPool('a', [{}]), serverPool('b', [{}]), serverPool('c', [{}])] });
    const asked: string[] = [];
    const store: QueueStore = {
      assignQueued: async (pool): Promise<SessionRecord[]> => {
        asked.push(pool);
        if (pool === 'b') throw new Error('database is locked');
        return pool === 'c' ? [session('q1', 'srv', { pool: 'c' })] : [];
      },
    };
    const warnings: string[] = [];
    const log: Log = { info() {}, debug() {}, error() {}, warn: (obj) => warnings.push(JSON.stringify(obj)) };
    const placed = await placeQueuedSessions({ store, log, clock: () => 0, isActive: () => true }, config, '2026-01-05T12:00:00.000Z');
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(placed.map((s) => s.id)).toEqual(['q1']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"pool":"b"');
  });
});
