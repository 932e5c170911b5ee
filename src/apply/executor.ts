// Runs plan changes as a dependency graph: a change starts once everything
// in its `depends_on` (within the run) has been applied; if one of those
// failed or was skipped, it is skipped too. Independent changes run
// concurrently, at most `limit` per provider key at once. One failure stops
// only what depends on it; the rest completes.
import type { KeyedLimiter } from '../providers/call-limit.ts';
import type { ResourceChange } from '../plan/types.ts';
import { errorMessage, isPoolformError } from '../util/errors.ts';
import type { ChangeOutcome } from './types.ts';

/** A step says how it ended when it did not simply succeed. */
export class SkipChange extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkipChange';
  }
}

export interface ExecuteOptions {
  limiter: KeyedLimiter;
  /** Limiter key of a change (e.g. `vm:local`); null = not limited (state-only changes). */
  keyOf(change: ResourceChange): string | null;
  run(change: ResourceChange): Promise<void>;
  onStart?(change: ResourceChange): void;
  onEnd?(change: ResourceChange, outcome: ChangeOutcome, ms: number): void;
  now?: () => number;
}

export async function executeGraph(changes: readonly ResourceChange[], options: ExecuteOptions): Promise<ChangeOutcome[]> {
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const started = new Map<string, Promise<ChangeOutcome>>();
  const now = options.now ?? (() => performance.now());

  const start = (change: ResourceChange, path: readonly string[]): Promise<ChangeOutcome> => {
    const existing = started.get(change.address);
    if (existing) return existing;
    const promise = (async (): Promise<ChangeOutcome> => {
      const deps = change.depends_on.filter((d) => byAddress.has(d));
      const cycle = deps.find((d) => path.includes(d));
      if (cycle) return { address: change.address, action: change.action, status: 'failed', message: `dependency cycle through ${cycle}` };
      const depOutcomes = await Promise.all(
        deps.map((d) => {
          const dep = byAddress.get(d);
          return dep ? start(dep, [...path, change.address]) : Promise.resolve(undefined);
        }),
      );
      const blocked = depOutcomes.find((o) => o !== undefined && o.status !== 'applied');
      if (blocked) {
        const outcome: ChangeOutcome = {
          address: change.address,
          action: change.action,
          status: 'skipped',
          message: `${blocked.address} ${blocked.status === 'failed' ? 'failed' : 'was not applied'}`,
        };
        options.onEnd?.(change, outcome, 0);
        return outcome;
      }
      const key = options.keyOf(change);
      const body = async (): Promise<ChangeOutcome> => {
        const t0 = now();
        options.onStart?.(change);
        let outcome: ChangeOutcome;
        try {
          await options.run(change);
          outcome = { address: change.address, action: change.action, status: 'applied', message: null };
        } catch (error) {
          outcome =
            error instanceof SkipChange
              ? { address: change.address, action: change.action, status: 'skipped', message: error.message }
              : {
                  address: change.address,
                  action: change.action,
                  status: 'failed',
                  message: errorMessage(error),
                  ...(isPoolformError(error) ? { code: error.code } : {}),
                };
        }
        options.onEnd?.(change, outcome, now() - t0);
        return outcome;
      };
      return key === null ? body() : options.limiter(key, body);
    })();
    started.set(change.address, promise);
    return promise;
  };

  return Promise.all(changes.map((c) => start(c, [])));
}
