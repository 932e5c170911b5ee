import { describe, expect, it } from 'vitest';
import { silentLog } from '../server/types.ts';
import { fakeTime } from './fake-timers.ts';
import { createWakeChannel, WAKE_LEASE, WAKE_POLL_MS } from './wake.ts';
import type { WakeStore } from './wake.ts';

/** The wake row shared by replicas (a lease any replica may take). */
function sharedRow() {
  let row: { holder: string; expires_at: string } | undefined;
  const writes: string[] = [];
  const store: WakeStore = {
    tryAcquireLease: async (name, holder, _ttl, now) => {
      expect(name).toBe(WAKE_LEASE);
      writes.push(now);
      row = { holder, expires_at: now };
      return true;
    },
    getLease: async () => row,
  };
  return { store, writes };
}

describe('wake channel', () => {
  it("a standby's event wakes the leader once per stamp; its own stamps do not", async () => {
    const time = fakeTime(Date.parse('2026-01-05T12:00:00Z'));
    const { store, writes } = sharedRow();
    const woken: string[] = [];
    const leader = createWakeChannel({
      store,
      replicaId: 'a',
      clock: time.clock,
      timers: time.timers,
      log: silentLog,
      isLeader: () => true,
      onWake: (h) => woken.push(h),
    });
    const standby = createWakeChannel({
      store,
      replicaId: 'b',
      clock: time.clock,
      timers: time.timers,
      log: silentLog,
      isLeader: () => false,
      onWake: () => undefined,
    });
    leader.start();
    standby.start();
    standby.send();
    standby.send(); // while the first write is in flight: one more write, with a later stamp
    await time.advance(WAKE_POLL_MS);
    expect(writes).toHaveLength(2);
    expect(writes[1]! > writes[0]!).toBe(true);
    expect(woken).toEqual(['b']);
    await time.advance(WAKE_POLL_MS * 4);
    expect(woken).toEqual(['b']);
    leader.stop();
    standby.stop();
    expect(time.pending()).toBe(0);
  });

  it('a standby does not poll', async () => {
    const time = fakeTime();
    let reads = 0;
    const store: WakeStore = {
      tryAcquireLease: async () => true,
      getLease: async () => {
        reads++;
        return undefined;
      },
    };
    const ch = createWakeChannel({
      store,
      replicaId: 'b',
      clock: time.clock,
      timers: time.timers,
      log: silentLog,
      isLeader: () => false,
      onWake: () => undefined,
    });
    ch.start();
    await time.advance(WAKE_POLL_MS * 3);
    expect(reads).toBe(0);
    ch.stop();
  });
});
