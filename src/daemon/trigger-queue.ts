// One reconcile at a time; triggers coalesce. A trigger starts a run after a
// short coalescing window (and never sooner than `minGapMs` after the previous
// run ended, so bursts of events cannot hammer the providers); triggers that
// arrive during a run make exactly one more run after it. Clock and timers are
// injected: unit tests drive it with daemon/fake-timers.ts.
import type { Clock } from '../server/types.ts';
import type { TimerHandle, Timers } from './timers.ts';

/** Triggers within this window coalesce into one run. */
export const TRIGGER_COALESCE_MS = 50;
/** Triggered runs start at least this long after the previous one ended. */
export const MIN_GAP_MS = 500;

export interface TriggerQueueOptions<T> {
  clock: Clock;
  timers: Timers;
  /** The run; its reason lists the coalesced triggers. */
  run: (reason: string) => Promise<T>;
  /** Called after every run settles, before pending triggers are re-queued (e.g. to re-arm the interval). */
  onSettled?: () => void;
  coalesceMs?: number;
  minGapMs?: number;
}

export interface TriggerQueue<T> {
  /** Ask for a run (coalesced). Ignored while stopped. */
  trigger(reason: string): void;
  /** Run now and wait; joins the run in progress when there is one. */
  runNow(reason: string): Promise<T>;
  /** The run in progress, if any. */
  current(): Promise<T> | undefined;
  /** Accept triggers. */
  start(): void;
  /** Drop pending triggers and the coalescing timer; a run in progress finishes (see current()). */
  stop(): void;
}

/** One line for a set of coalesced triggers: distinct reasons, at most five named. */
export function describeReasons(reasons: readonly string[]): string {
  const distinct = [...new Set(reasons)];
  const shown = distinct.slice(0, 5).join('; ');
  return distinct.length > 5 ? `${shown} (+${distinct.length - 5} more)` : shown || 'trigger';
}

export function createTriggerQueue<T>(options: TriggerQueueOptions<T>): TriggerQueue<T> {
  const { clock, timers } = options;
  const coalesceMs = options.coalesceMs ?? TRIGGER_COALESCE_MS;
  const minGapMs = options.minGapMs ?? MIN_GAP_MS;
  let stopped = true;
  let pending: string[] = [];
  let timer: TimerHandle | undefined;
  let running: Promise<T> | undefined;
  let lastEndMs: number | null = null;

  function trigger(reason: string): void {
    if (stopped) return;
    pending.push(reason);
    if (running || timer) return;
    const gap = lastEndMs === null ? 0 : Math.max(0, lastEndMs + minGapMs - clock());
    timer = timers.set(
      () => {
        timer = undefined;
        kick();
      },
      Math.max(coalesceMs, gap),
    );
  }

  function kick(): void {
    if (running || stopped || pending.length === 0) return;
    const reasons = pending;
    pending = [];
    // Errors are the run's to report; a rejection here must not become unhandled.
    runNow(describeReasons(reasons)).catch(() => undefined);
  }

  function runNow(reason: string): Promise<T> {
    if (running) return running;
    const p = options.run(reason).finally(() => {
      running = undefined;
      lastEndMs = clock();
      options.onSettled?.();
      // Triggers that arrived during the run: one more run, through trigger() so the minimum gap applies.
      if (pending.length > 0 && !stopped) {
        const again = pending;
        pending = [];
        for (const r of again) trigger(r);
      }
    });
    running = p;
    return p;
  }

  return {
    trigger,
    runNow,
    current: () => running,
    start() {
      stopped = false;
    },
    stop() {
      stopped = true;
      timers.clear(timer);
      timer = undefined;
      pending = [];
    },
  };
}
