// Pieces every cloud VM provider's create/destroy needs in the same form:
// - serialGate(): runs async steps one at a time (the max_instances check and
//   the reservation it makes must not interleave between concurrent creates);
//   a failed step does not block the next.
// - maxInstancesReached(): the error a create gets when the provider config's
//   max_instances is reached (retryable: droplets/VMs may go away; nothing
//   created).
// (Per-item bulk calls with bounded concurrency: bulk.ts eachItem.)
import { PoolformError } from '../../util/errors.ts';

export type Serially = <T>(fn: () => Promise<T>) => Promise<T>;

export function serialGate(): Serially {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export interface MaxInstancesContext {
  /** `VmProvider <name>`. */
  where: string;
  max: number;
  live: number;
  /** Creates admitted and still running. */
  launching: number;
  /** What the cloud calls them, plural: `VMs`, `instances`, `droplets`. */
  noun: string;
  /** `create` (default) or `launch`. */
  verb?: string;
}

export function maxInstancesReached(ctx: MaxInstancesContext): PoolformError {
  const launchingNote = ctx.launching > 0 ? ` and ${ctx.launching} being created` : '';
  return new PoolformError(
    'max-instances-reached',
    `${ctx.where}: max_instances (${ctx.max}) reached: ${ctx.live} ${ctx.noun} exist${launchingNote}; raise max_instances to ${ctx.verb ?? 'create'} more`,
    {
      retryable: true,
      nothingCreated: true,
      details: { max_instances: ctx.max, live: ctx.live, launching: ctx.launching, nothing_created: true },
    },
  );
}

/**
 * The max_instances reservations of one provider client: `reserve(live)`
 * (inside the serial gate) refuses with maxInstancesReached when `live` plus
 * the creates already admitted reach the maximum, else counts one more;
 * `release()` when that create has finished, made or not.
 */
export interface Reservations {
  /** Creates admitted and not yet finished. */
  readonly count: number;
  reserve(live: number): void;
  release(): void;
}

export function createReservations(ctx: Omit<MaxInstancesContext, 'live' | 'launching'>): Reservations {
  let count = 0;
  return {
    get count() {
      return count;
    },
    reserve(live) {
      if (live + count >= ctx.max) throw maxInstancesReached({ ...ctx, live, launching: count });
      count++;
    },
    release() {
      count--;
    },
  };
}

/** Alias of bulk.ts eachItem (one implementation): per-item outcomes, at most `concurrency` at once. */
export { eachItem as settleEach } from './bulk.ts';
