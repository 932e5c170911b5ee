// Taking the state lock for plan/apply/reconcile. A lock whose holder is a
// dead process on this host (e.g. an apply that was killed) is reported and
// taken over, so re-running apply after a crash just works; any other holder
// makes us wait up to `waitMs`, then fail with who holds it (LockHeldError).
import { newLockInfo } from '../state/lock-holder.ts';
import type { LockInfo, LockStore } from '../state/types.ts';
import { LockHeldError } from '../state/types.ts';

export interface LockOptions {
  /** Shown to whoever finds the lock held: `apply`, `plan`, `serve`. */
  operation: string;
  waitMs: number;
  /** Told when a stale lock was taken over (the CLI prints it). */
  onStale?: (holder: LockInfo) => void;
  now?: Date;
}

export async function acquireStateLock(store: LockStore, options: LockOptions): Promise<LockInfo> {
  const lock = newLockInfo(options.operation, options.now);
  try {
    await store.acquireLock(lock, { waitMs: options.waitMs });
    return lock;
  } catch (error) {
    if (!(error instanceof LockHeldError) || !error.stale) throw error;
    // Only the dead holder's own lock id is removed: a live process that took the lock meanwhile keeps it.
    await store.forceUnlock(error.holder.id);
    options.onStale?.(error.holder);
    await store.acquireLock(lock, { waitMs: options.waitMs });
    return lock;
  }
}

/** Runs `fn` holding the state lock; releases it afterwards even when `fn` throws. */
export async function withStateLock<T>(store: LockStore, options: LockOptions, fn: (lock: LockInfo) => Promise<T>): Promise<T> {
  const lock = await acquireStateLock(store, options);
  try {
    return await fn(lock);
  } finally {
    await store.releaseLock(lock.id);
  }
}

export function staleLockMessage(holder: LockInfo): string {
  return `Warning: the state lock ${holder.id} was stale (held by ${holder.operation}, pid ${holder.pid} on ${holder.host} since ${holder.since}, which is no longer running); took it over.\n`;
}
