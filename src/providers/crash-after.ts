// The `POOLFORM_CRASH_AFTER=N` test hook (crash tests of apply): the process
// is killed with SIGKILL right after the Nth provider call that changes
// something (vm.create, vm.destroy, dns.upsert, dns.delete, directory.create,
// directory.delete) returns, before the caller sees the result, so that
// result is never persisted: the worst moment to die.
//
// Observe (and capacity) calls are NOT counted: they change nothing, and
// counting them would make the small values of N crash during refresh, before
// apply did anything. So N = 1..(mutating calls of a full apply), which
// withCallCounter() measures, covers every point of an apply. A call that
// rejects counts too (it may have done its work before failing).
//
// The environment variable is read in cli/ only; the CLI passes its value to
// parseCrashAfter() and wraps its registry with withCrashAfter().
import { PoolformError } from '../util/errors.ts';
import { interceptRegistry } from './intercept.ts';
import type { ProviderRegistry } from './registry.ts';

export { withCallCounter } from './intercept.ts';
export type { CallCounter, ProviderCall, ProviderMethod } from './intercept.ts';

/** N from the env var's text; undefined when unset or empty. Throws PoolformError `invalid-crash-after` when not a positive integer. */
export function parseCrashAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new PoolformError('invalid-crash-after', `POOLFORM_CRASH_AFTER must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(text);
}

/**
 * A registry whose clients call `kill` right after the Nth mutating provider
 * call settles. The default kill is SIGKILL of this process. Once `kill` has
 * been called, that call and every later or still-running call never settle,
 * exactly as if the process were gone (so an injected, non-fatal `kill` in an
 * in-process test leaves nothing persisted after the crash point).
 */
export function withCrashAfter(registry: ProviderRegistry, n: number, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): ProviderRegistry {
  if (!Number.isInteger(n) || n < 1) throw new PoolformError('invalid-crash-after', `crash-after count must be a positive integer, got ${n}`);
  let count = 0;
  let dead = false;
  const never = <T>(): Promise<T> => new Promise<T>(() => {});
  return interceptRegistry(registry, async <T>(call: { mutating: boolean }, next: () => Promise<T>): Promise<T> => {
    if (dead) return never<T>();
    if (!call.mutating) return next();
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await next() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (dead) return never<T>();
    count++;
    if (count >= n) {
      dead = true;
      kill();
      return never<T>();
    }
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  });
}
