// Who is taking the state lock: a fresh lock id plus this process's pid and
// host, so a second process can say who holds it and detect a dead holder.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { LockInfo, LockStore } from './types.ts';

/** A LockInfo for this process. `operation` is what is shown to others, e.g. `apply`, `plan`, `state rm`. */
export function newLockInfo(operation: string, now: Date = new Date()): LockInfo {
  return { id: randomUUID(), operation, pid: process.pid, host: hostname(), since: now.toISOString() };
}

/** Runs `fn` holding the state lock; releases it afterwards even when `fn` throws. */
export async function withStateLock<T>(store: LockStore, operation: string, waitMs: number, fn: (lock: LockInfo) => Promise<T>): Promise<T> {
  const lock = newLockInfo(operation);
  await store.acquireLock(lock, { waitMs });
  try {
    return await fn(lock);
  } finally {
    await store.releaseLock(lock.id);
  }
}
