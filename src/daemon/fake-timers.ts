// A fake clock and timers for unit tests of the daemon's parts: time moves
// only when the test calls advance(), and timers fire in due order.
import type { Clock } from '../server/types.ts';
import type { TimerHandle, Timers } from './timers.ts';

export interface FakeTime {
  clock: Clock;
  timers: Timers;
  /** Moves time forward by `ms`, firing due timers in order (timers they set fire too when due). */
  advance(ms: number): Promise<void>;
  /** Timers still pending. */
  pending(): number;
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

export function fakeTime(startMs = 0): FakeTime {
  let now = startMs;
  let seq = 0;
  const entries = new Map<object, Entry>();
  const settle = async (): Promise<void> => {
    // Let promise chains (and store calls) started by a timer run before the next one fires.
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    clock: () => now,
    timers: {
      set(fn, ms) {
        const handle = {};
        entries.set(handle, { at: now + Math.max(0, ms), seq: seq++, fn });
        return handle as TimerHandle;
      },
      clear(handle) {
        if (handle !== undefined) entries.delete(handle);
      },
    },
    async advance(ms) {
      const until = now + ms;
      await settle();
      for (;;) {
        let next: [object, Entry] | undefined;
        for (const pair of entries) {
          if (pair[1].at <= until && (!next || pair[1].at < next[1].at || (pair[1].at === next[1].at && pair[1].seq < next[1].seq))) next = pair;
        }
        if (!next) break;
        entries.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
        await settle();
      }
      now = until;
      await settle();
    },
    pending: () => entries.size,
  };
}
