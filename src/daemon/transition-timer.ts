// A timer for the next schedule transition of any autoscale config, so a
// window opening or closing triggers a reconcile at its edge rather than at
// the next interval. Re-armed after each transition and on config changes.
import type { Config } from '../config/model.ts';
import type { Clock, Log } from '../server/types.ts';
import { nextTransition } from './schedule-clock.ts';
import { nextTargetEdge } from './target-clock.ts';
import { MAX_TIMER_MS } from './timers.ts';
import type { TimerHandle, Timers } from './timers.ts';

/** Fire this long past the edge, so the schedule already reads the new state. */
export const TRANSITION_SLACK_MS = 20;

export interface TransitionTimerOptions {
  clock: Clock;
  timers: Timers;
  log: Log;
  config: () => Config | undefined;
  onTransition: (reason: string) => void;
}

export interface TransitionTimer {
  /** (Re)arms for the next transition of the current config; no-op while stopped. */
  arm(): void;
  start(): void;
  stop(): void;
}

export function createTransitionTimer(options: TransitionTimerOptions): TransitionTimer {
  const { clock, timers, log } = options;
  let stopped = true;
  let timer: TimerHandle | undefined;

  function arm(): void {
    timers.clear(timer);
    timer = undefined;
    const config = options.config();
    if (stopped || !config) return;
    // On/off transitions, and (per-window targets, fixed pre-warm) target changes and pre-warm starts (target-clock.ts).
    const onOff = nextTransition(config, clock());
    const target = nextTargetEdge(config, clock());
    const next = target && (!onOff || target.at < onOff.at) ? target : onOff;
    if (!next) return;
    const rawWait = Math.max(0, next.at - clock()) + TRANSITION_SLACK_MS;
    timer = timers.set(
      () => {
        // A transition further away than a timer can wait (~23 days): this was only a stopover.
        if (rawWait > MAX_TIMER_MS) {
          arm();
          return;
        }
        log.info(
          { event: 'schedule-transition', pool: next.pool, autoscale: next.autoscale, active: next.active },
          `schedule transition: ${next.pool}/${next.autoscale} ${next.active ? 'active' : 'inactive'}`,
        );
        options.onTransition(`schedule transition ${next.pool}/${next.autoscale} → ${next.active ? 'active' : 'inactive'}`);
        arm();
      },
      Math.min(rawWait, MAX_TIMER_MS),
    );
  }

  return {
    arm,
    start() {
      stopped = false;
      arm();
    },
    stop() {
      stopped = true;
      timers.clear(timer);
      timer = undefined;
    },
  };
}
