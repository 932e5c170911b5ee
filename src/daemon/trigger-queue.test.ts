import { describe, expect, it } from 'vitest';
import { fakeTime } from './fake-timers.ts';
import { createTriggerQueue, describeReasons, MIN_GAP_MS, TRIGGER_COALESCE_MS } from './trigger-queue.ts';

function setup(runMs = 0) {
  const time = fakeTime(1_000_000);
  const runs: string[] = [];
  let active = 0;
  let maxActive = 0;
  const queue = createTriggerQueue<string>({
    clock: time.clock,
    timers: time.timers,
    run: async (reason) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(reason);
      if (runMs > 0) await new Promise<void>((resolve) => time.timers.set(resolve, runMs));
      active--;
      return reason;
    },
  });
  queue.start();
  return { time, queue, runs, maxActive: () => maxActive };
}

describe('trigger queue', () => {
  it('coalesces a burst into one run naming its distinct reasons', async () => {
    const { time, queue, runs } = setup();
    for (let i = 0; i < 10; i++) queue.trigger(i % 2 === 0 ? 'check-in' : 'queued');
    await time.advance(TRIGGER_COALESCE_MS - 1);
    expect(runs).toEqual([]);
    await time.advance(1);
    expect(runs).toEqual(['check-in; queued']);
  });

  it('triggers during a run make exactly one more run, at least the minimum gap after it', async () => {
    const { time, queue, runs, maxActive } = setup(1_000);
    queue.trigger('a');
    await time.advance(TRIGGER_COALESCE_MS);
    expect(runs).toEqual(['a']);
    queue.trigger('b');
    queue.trigger('c');
    await time.advance(1_000); // the run ends
    expect(runs).toEqual(['a']);
    await time.advance(MIN_GAP_MS - 1);
    expect(runs).toEqual(['a']);
    await time.advance(1);
    expect(runs).toEqual(['a', 'b; c']);
    await time.advance(10_000);
    expect(runs).toHaveLength(2);
    expect(maxActive()).toBe(1);
  });

  it('runNow joins the run in progress', async () => {
    const { time, queue, runs } = setup(100);
    const first = queue.runNow('now');
    const second = queue.runNow('again');
    expect(second).toBe(first);
    await time.advance(100);
    await expect(first).resolves.toBe('now');
    expect(runs).toEqual(['now']);
  });

  it('ignores triggers while stopped and drops pending ones on stop', async () => {
    const { time, queue, runs } = setup();
    queue.trigger('x');
    queue.stop();
    queue.trigger('y');
    await time.advance(10_000);
    expect(runs).toEqual([]);
    expect(time.pending()).toBe(0);
  });

  it('describes many reasons briefly', () => {
    expect(describeReasons([])).toBe('trigger');
    expect(describeReasons(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'a'])).toBe('a; b; c; d; e (+2 more)');
  });
});
