// Runs plan changes as a dependency graph: a change starts once everything
// in its `depends_on` (within the run) has been applied; if one of those
// failed or was skipped, it is skipped too. Independent changes run
// concurrently; the steps take their provider's limiter slot around each
// provider call themselves (apply/step-context.ts), so the graph adds none.
// One failure stops only what depends on it; the rest completes.
//
// Groups: changes with the same group key (e.g. every DNS upsert of one zone)
// run together, as one step with one batched provider call, once the
// dependencies of all members have settled. Batches are therefore the same
// on every run of the same plan (deterministic call counts).
import type { ResourceChange } from '../plan/types.ts';
import { errorMessage, isPoolformError } from '../util/errors.ts';
import type { ChangeOutcome } from './types.ts';

/** Thrown (or returned for a group member) when a change is deliberately not done. */
export class SkipChange extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkipChange';
  }
}

export interface ExecuteOptions {
  run(change: ResourceChange): Promise<void>;
  /** Group key of a change, or null when it runs alone. */
  groupOf?(change: ResourceChange): string | null;
  /** Runs the eligible members of a group; returns each member's error (null: done). */
  runGroup?(key: string, changes: readonly ResourceChange[]): Promise<Map<string, unknown>>;
  onStart?(change: ResourceChange): void;
  onEnd?(change: ResourceChange, outcome: ChangeOutcome, ms: number): void;
  now?: () => number;
}

function outcomeFor(change: ResourceChange, error: unknown): ChangeOutcome {
  if (error === null || error === undefined) return { address: change.address, action: change.action, status: 'applied', message: null };
  if (error instanceof SkipChange) return { address: change.address, action: change.action, status: 'skipped', message: error.message };
  return {
    address: change.address,
    action: change.action,
    status: 'failed',
    message: errorMessage(error),
    ...(isPoolformError(error) ? { code: error.code } : {}),
  };
}

export async function executeGraph(changes: readonly ResourceChange[], options: ExecuteOptions): Promise<ChangeOutcome[]> {
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const now = options.now ?? (() => performance.now());
  const groupOf = (c: ResourceChange): string | null => (options.runGroup ? (options.groupOf?.(c) ?? null) : null);
  const nodeOf = (c: ResourceChange): string => {
    const g = groupOf(c);
    return g === null ? `#${c.address}` : `group:${g}`;
  };
  const members = new Map<string, ResourceChange[]>();
  for (const c of changes) {
    const g = groupOf(c);
    if (g !== null) members.set(g, [...(members.get(g) ?? []), c]);
  }

  const nodes = new Map<string, Promise<Map<string, ChangeOutcome>>>();

  /** Outcomes of this change's dependencies, or a failure outcome on a cycle. */
  const awaitDeps = async (deps: readonly string[], path: readonly string[]): Promise<Array<ChangeOutcome | undefined> | string> => {
    for (const d of deps) {
      const dep = byAddress.get(d);
      if (dep && path.includes(nodeOf(dep))) return d;
    }
    return Promise.all(
      deps.map(async (d) => {
        const dep = byAddress.get(d);
        return dep ? (await startNode(dep, path)).get(d) : undefined;
      }),
    );
  };

  const skipped = (change: ResourceChange, blocker: ChangeOutcome): ChangeOutcome => {
    const outcome: ChangeOutcome = {
      address: change.address,
      action: change.action,
      status: 'skipped',
      // A skipped blocker passes on why (e.g. its server has active sessions), so each skip says so.
      message: blocker.status === 'failed' ? `${blocker.address} failed` : `${blocker.address} was not applied${blocker.message ? `: ${blocker.message}` : ''}`,
    };
    options.onEnd?.(change, outcome, 0);
    return outcome;
  };

  const runSingle = async (change: ResourceChange, path: readonly string[]): Promise<Map<string, ChangeOutcome>> => {
    const deps = await awaitDeps(change.depends_on, path);
    if (typeof deps === 'string') {
      return new Map([[change.address, { address: change.address, action: change.action, status: 'failed', message: `dependency cycle through ${deps}` }]]);
    }
    const blocker = deps.find((o) => o !== undefined && o.status !== 'applied');
    if (blocker) return new Map([[change.address, skipped(change, blocker)]]);
    const body = async (): Promise<ChangeOutcome> => {
      const t0 = now();
      options.onStart?.(change);
      let error: unknown = null;
      try {
        await options.run(change);
      } catch (e) {
        error = e ?? new Error('failed');
      }
      const outcome = outcomeFor(change, error);
      options.onEnd?.(change, outcome, now() - t0);
      return outcome;
    };
    return new Map([[change.address, await body()]]);
  };

  const runGroup = async (key: string, list: readonly ResourceChange[], path: readonly string[]): Promise<Map<string, ChangeOutcome>> => {
    const inGroup = new Set(list.map((c) => c.address));
    const result = new Map<string, ChangeOutcome>();
    const depOutcomes = new Map<string, Array<ChangeOutcome | undefined> | string>();
    for (const c of list)
      depOutcomes.set(
        c.address,
        await awaitDeps(
          c.depends_on.filter((d) => !inGroup.has(d)),
          path,
        ),
      );
    const eligible: ResourceChange[] = [];
    for (const c of list) {
      const deps = depOutcomes.get(c.address) ?? [];
      if (typeof deps === 'string') {
        result.set(c.address, { address: c.address, action: c.action, status: 'failed', message: `dependency cycle through ${deps}` });
        continue;
      }
      const blocker = deps.find((o) => o !== undefined && o.status !== 'applied');
      if (blocker) result.set(c.address, skipped(c, blocker));
      else eligible.push(c);
    }
    if (eligible.length === 0 || !options.runGroup) return result;
    const t0 = now();
    for (const c of eligible) options.onStart?.(c);
    let errors: Map<string, unknown>;
    try {
      errors = await options.runGroup(key, eligible);
    } catch (e) {
      errors = new Map(eligible.map((c) => [c.address, e ?? new Error('failed')]));
    }
    const ms = now() - t0;
    for (const c of eligible) {
      const outcome = outcomeFor(c, errors.has(c.address) ? errors.get(c.address) : new Error('no result for this change'));
      result.set(c.address, outcome);
      options.onEnd?.(c, outcome, ms);
    }
    return result;
  };

  const startNode = (change: ResourceChange, path: readonly string[]): Promise<Map<string, ChangeOutcome>> => {
    const node = nodeOf(change);
    let promise = nodes.get(node);
    if (!promise) {
      const g = groupOf(change);
      promise = g === null ? runSingle(change, [...path, node]) : runGroup(g, members.get(g) ?? [change], [...path, node]);
      nodes.set(node, promise);
    }
    return promise;
  };

  return Promise.all(
    changes.map(async (c) => {
      const outcome = (await startNode(c, [])).get(c.address);
      return outcome ?? { address: c.address, action: c.action, status: 'failed', message: 'not run' };
    }),
  );
}
