import { describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import type { Config } from '../config/model.ts';
import { silentLog } from '../server/types.ts';
import { fakeTime } from './fake-timers.ts';
import { createTransitionTimer, TRANSITION_SLACK_MS } from './transition-timer.ts';

// Monday 2024-01-08, 08:00 UTC; the window opens at 09:00 and closes at 17:00.
const MONDAY_8 = Date.parse('2024-01-08T08:00:00Z');
const HOUR = 3_600_000;

function scheduled(): Config {
  return makeConfig({ pools: [serverPool('desktops', [{ name: 'day', schedules: [{ days: ['mon'], start: '09:00', end: '17:00', timezone: 'UTC' }] }])] });
}

describe('transition timer', () => {
  it('fires just past each schedule edge and re-arms for the next', async () => {
    const time = fakeTime(MONDAY_8);
    const fired: string[] = [];
    const timer = createTransitionTimer({ clock: time.clock, timers: time.timers, log: silentLog, config: scheduled, onTransition: (r) => fired.push(r) });
    timer.start();
    await time.advance(HOUR + TRANSITION_SLACK_MS - 1);
    expect(fired).toEqual([]);
    await time.advance(1);
    expect(fired).toEqual(['schedule transition desktops/day → active']);
    await time.advance(8 * HOUR);
    expect(fired).toEqual(['schedule transition desktops/day → active', 'schedule transition desktops/day → inactive']);
    timer.stop();
    expect(time.pending()).toBe(0);
  });

  it('arms nothing without schedules or while stopped', async () => {
    const time = fakeTime(MONDAY_8);
    const fired: string[] = [];
    const always = () => makeConfig({ pools: [serverPool('desktops', [{ name: 'day' }])] });
    const timer = createTransitionTimer({ clock: time.clock, timers: time.timers, log: silentLog, config: always, onTransition: (r) => fired.push(r) });
    timer.arm();
    expect(time.pending()).toBe(0);
    timer.start();
    expect(time.pending()).toBe(0);
    await time.advance(48 * HOUR);
    expect(fired).toEqual([]);
  });
});
