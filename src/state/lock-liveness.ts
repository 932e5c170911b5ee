// Whether a lock holder is a process that no longer runs. Only a holder on
// this host can be checked; a holder elsewhere is assumed alive.
import { hostname } from 'node:os';
import type { LockInfo } from './types.ts';

/** True when the holder ran on this host and its pid no longer exists (kill(pid, 0) → ESRCH). */
export function isHolderDead(holder: Pick<LockInfo, 'pid' | 'host'>, thisHost: string = hostname()): boolean {
  if (holder.host !== thisHost) return false;
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
