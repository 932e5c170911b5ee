// Stopping a local VM: its startup script runs as the leader of its own process
// group (spawned detached), so the whole group (script and everything it
// started) is signalled. Process ids are reused, so on Linux a group is only
// signalled when one of its members carries the VM's marker in its
// environment (POOLFORM_LOCAL_VM=<server_id>), read from /proc.
import { readFileSync, readdirSync } from 'node:fs';
import { errnoCode } from './fs-atomic.ts';

/** Name of the environment variable that marks a local VM's processes. */
export const LOCAL_VM_MARKER = 'POOLFORM_LOCAL_VM';

/**
 * Process group id → the local VM server ids found among its members, from
 * one scan of /proc. Null where /proc is unavailable (not Linux).
 */
export function scanVmProcessGroups(): Map<number, Set<string>> | null {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const groups = new Map<number, Set<string>>();
  const prefix = `${LOCAL_VM_MARKER}=`;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses:
      // state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgid = Number(rest[2]);
      if (!Number.isInteger(pgid) || pgid <= 0) continue;
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8');
      for (const entry of environ.split('\0')) {
        if (!entry.startsWith(prefix)) continue;
        let ids = groups.get(pgid);
        if (!ids) {
          ids = new Set();
          groups.set(pgid, ids);
        }
        ids.add(entry.slice(prefix.length));
      }
    } catch {
      // The process ended during the scan, or is not ours to read.
    }
  }
  return groups;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * SIGKILLs process group `pgid` when it still runs VM `serverId`'s processes.
 * `groups` is a scan taken for a batch of destroys. A member caught in the
 * middle of exec() can hide its environment for an instant, so a group that
 * exists but shows no marker is rescanned a few times before it is judged to
 * be someone else's (a reused process id). Returns whether a signal was sent;
 * throws only when signalling fails for another reason than the group being
 * gone (e.g. EPERM).
 */
export async function killVmProcessGroup(pgid: number, serverId: string, groups: Map<number, Set<string>> | null): Promise<boolean> {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  let scan = groups;
  for (let attempt = 0; ; attempt++) {
    if (scan === null || scan.get(pgid)?.has(serverId)) {
      try {
        process.kill(-pgid, 'SIGKILL');
        return true;
      } catch (error) {
        if (errnoCode(error) === 'ESRCH') return false;
        throw error;
      }
    }
    if (attempt >= 5 || !groupExists(pgid)) return false;
    await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1)));
    scan = scanVmProcessGroups();
  }
}
