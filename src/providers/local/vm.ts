// The embedded local VM provider: so that `npm start` works on any machine with
// no cloud account. A VM is a directory `<stateDir>/local-vms/<server_id>/`:
//
//   vm.json      what the VM is (intent id, server id, pool, autoscale,
//                hostname, created/boot times, pid of its startup script) and
//                the ownership marker (`"poolform": 1` + provider config name)
//   startup.sh   the rendered startup script (holds secrets: mode 0700)
//   output.log   stdout and stderr of the startup script
//
// "Booting" runs `/bin/sh startup.sh` in the VM directory, detached in its own
// process group with a clean environment, after the config's boot_delay. The
// script keeps running after poolform exits, like a real VM. Its address is
// 127.0.0.1 (private and public).
//
// Crash safety: a VM directory is assembled under a dot-name and renamed into
// place, so observe() never sees half a VM; vm.json is only ever replaced
// atomically. A VM whose directory exists but whose boot was never recorded
// (crash between the rename and the spawn) is `pending`; create() with the same
// intent boots it, or, when its script is in fact running (crash between the
// spawn and recording the pid), records that process instead of starting a
// second copy. Concurrent writers in other processes are excluded by the state
// lock, not here.
import { spawn as spawnChild } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LocalVmProvider } from '../../generated/config.ts';
import type { Resources } from '../../model/compute.ts';
import { parseDuration } from '../../util/duration.ts';
import { PoolformError, errorMessage } from '../../util/errors.ts';
import { mapLimit } from '../call-limit.ts';
import type { ItemResult, ObservedVm, VmCreateRequest, VmProviderClient, VmRef } from '../types.ts';
import { errnoCode, uniqueSuffix, writeFileAtomic } from './fs-atomic.ts';
import { LOCAL_VM_MARKER, killVmProcessGroup, scanVmProcessGroups } from './process-group.ts';

export const LOCAL_VM_DIR = 'local-vms';
export const LOCAL_VM_ADDRESS = '127.0.0.1';

/** What is needed to boot one local VM. */
export interface LocalVmBootRequest {
  /** The VM directory (cwd of the script; holds startup.sh and output.log). */
  dir: string;
  serverId: string;
  /** Wait this long before running startup.sh. */
  delayMs: number;
  /** Environment of the script (clean: not poolform's own). */
  env: Record<string, string>;
}

/** Starts a VM's startup script in the background; returns the pid of its process group leader. */
export type LocalVmSpawn = (request: LocalVmBootRequest) => number;

export interface LocalVmProviderOptions {
  config: LocalVmProvider;
  /** The state path (`Settings.state.path` / `--state`); VMs live in `<stateDir>/local-vms/`. */
  stateDir: string;
  /** Boots a VM; default runs `/bin/sh startup.sh` detached. Tests and benchmarks inject their own. */
  spawn?: LocalVmSpawn;
  /** Current time (created_at, boot time). */
  clock?: () => Date;
  /** Extra environment for startup scripts (PATH, HOME and the VM marker are always set). */
  env?: Record<string, string>;
}

/** The vm.json document. */
export interface LocalVmRecord {
  /** Ownership marker / format version. */
  poolform: 1;
  /** VmProvider config name that created it. */
  provider: string;
  intent_id: string;
  server_id: string;
  pool: string;
  autoscale: string;
  hostname: string;
  created_at: string;
  /** When the startup script runs (created_at + boot_delay). */
  boot_at: string;
  /** Process group of the startup script; null until booted. */
  pid: number | null;
}

// Server ids become directory names: no separators, no dot-names (ours are internal).
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

// Runs as `sh -c WRAPPER poolform-local-vm DELAY_SECONDS`: wait for the boot
// delay, then become the startup script (same pid, same process group).
const WRAPPER = 'if [ "$1" != 0 ]; then sleep "$1"; fi; exec /bin/sh ./startup.sh';

/** Default boot: `/bin/sh startup.sh` detached in its own process group, output appended to output.log. */
export const spawnLocalVm: LocalVmSpawn = (request) => {
  const fd = openSync(join(request.dir, 'output.log'), 'a', 0o600);
  try {
    const seconds = request.delayMs > 0 ? String(request.delayMs / 1000) : '0';
    const child = spawnChild('/bin/sh', ['-c', WRAPPER, 'poolform-local-vm', seconds], {
      cwd: request.dir,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: request.env,
    });
    // A spawn failure is reported through the pid below; keep the event from crashing the process.
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error('spawning /bin/sh failed');
    return child.pid;
  } finally {
    closeSync(fd);
  }
};

export function createLocalVmProvider(options: LocalVmProviderOptions): VmProviderClient {
  const { config } = options;
  // Absolute: the script's $HOME and POOLFORM_VM_DIR must not depend on poolform's cwd.
  const root = resolve(options.stateDir, LOCAL_VM_DIR);
  const spawn = options.spawn ?? spawnLocalVm;
  const clock = options.clock ?? (() => new Date());
  const delayMs = config.boot_delay === undefined ? 0 : parseDuration(config.boot_delay);
  // Per-server chain: two calls for one server in this process never interleave.
  const busy = new Map<string, Promise<unknown>>();

  const serial = <T>(serverId: string, task: () => Promise<T>): Promise<T> => {
    const previous = busy.get(serverId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    busy.set(serverId, tail);
    void tail.then(() => {
      if (busy.get(serverId) === tail) busy.delete(serverId);
    });
    return run;
  };

  const toObserved = (record: LocalVmRecord): ObservedVm => ({
    provider_id: record.server_id,
    server_id: record.server_id,
    pool: record.pool,
    autoscale: record.autoscale,
    hostname: record.hostname,
    intent_id: record.intent_id,
    state: record.pid === null || clock().getTime() < Date.parse(record.boot_at) ? 'pending' : 'running',
    private_ip: LOCAL_VM_ADDRESS,
    public_ip: LOCAL_VM_ADDRESS,
    launched_at: record.created_at,
  });

  const boot = async (dir: string, record: LocalVmRecord): Promise<LocalVmRecord> => {
    let pid: number;
    try {
      pid = spawn({
        dir,
        serverId: record.server_id,
        delayMs,
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          HOME: dir,
          ...options.env,
          [LOCAL_VM_MARKER]: record.server_id,
          POOLFORM_VM_DIR: dir,
        },
      });
    } catch (cause) {
      throw new PoolformError('local-vm-boot-failed', `local VM ${record.server_id}: cannot start its startup script: ${errorMessage(cause)}`, {
        cause,
        retryable: true,
      });
    }
    const booted: LocalVmRecord = { ...record, pid };
    await writeFileAtomic(join(dir, 'vm.json'), `${JSON.stringify(booted, null, 2)}\n`);
    return booted;
  };

  // An existing directory: the same intent gets the same VM (booted if the
  // earlier create died before booting it); anything else is a conflict.
  const adopt = async (dir: string, existing: LocalVmRecord | null, request: VmCreateRequest): Promise<ObservedVm> => {
    if (!existing || existing.provider !== config.name || existing.intent_id !== request.intent_id) {
      const holder = existing
        ? existing.provider !== config.name
          ? `VmProvider ${existing.provider}`
          : `intent ${existing.intent_id}`
        : 'something that is not a poolform VM';
      throw new PoolformError(
        'local-vm-conflict',
        `local VM ${request.server_id}: ${dir} already exists and belongs to ${holder}, not intent ${request.intent_id}`,
        { details: { server_id: request.server_id, intent_id: request.intent_id } },
      );
    }
    if (existing.pid !== null) return toObserved(existing);
    // Never booted, as far as vm.json knows. If the earlier create died
    // between starting the script and recording its pid, the script is
    // running: record it instead of starting a second copy.
    const running = [...(scanVmProcessGroups() ?? new Map<number, Set<string>>())].find(([, ids]) => ids.has(existing.server_id));
    if (running) {
      const recorded: LocalVmRecord = { ...existing, pid: running[0] };
      await writeFileAtomic(join(dir, 'vm.json'), `${JSON.stringify(recorded, null, 2)}\n`);
      return toObserved(recorded);
    }
    return toObserved(await boot(dir, existing));
  };

  const create = async (request: VmCreateRequest): Promise<ObservedVm> => {
    assertSafeId(request.server_id);
    if (request.intent_id === '') throw new PoolformError('invalid-request', 'local VM create: empty intent id');
    return serial(request.server_id, async () => {
      const dir = join(root, request.server_id);
      const existing = await readVmRecord(dir);
      if (existing !== undefined) return adopt(dir, existing, request);

      await mkdir(root, { recursive: true });
      const now = clock();
      const record: LocalVmRecord = {
        poolform: 1,
        provider: config.name,
        intent_id: request.intent_id,
        server_id: request.server_id,
        pool: request.pool,
        autoscale: request.autoscale,
        hostname: request.hostname,
        created_at: now.toISOString(),
        boot_at: new Date(now.getTime() + delayMs).toISOString(),
        pid: null,
      };
      const tmp = join(root, `.tmp-${request.server_id}-${uniqueSuffix()}`);
      try {
        await mkdir(tmp, { mode: 0o700 });
        await writeFile(join(tmp, 'startup.sh'), request.user_data, { mode: 0o700 });
        await writeFile(join(tmp, 'output.log'), '', { mode: 0o600 });
        await writeFile(join(tmp, 'vm.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
        await rename(tmp, dir);
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        const code = errnoCode(error);
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          // Another process created it between our read and our rename.
          return adopt(dir, (await readVmRecord(dir)) ?? null, request);
        }
        throw new PoolformError('local-vm-create-failed', `local VM ${request.server_id}: ${errorMessage(error)}`, { cause: error, retryable: true });
      }
      return toObserved(await boot(dir, record));
    });
  };

  const destroyOne = (ref: VmRef, groups: Map<number, Set<string>> | null): Promise<ItemResult<VmRef>> =>
    serial(ref.server_id, async () => {
      const dir = join(root, ref.server_id);
      const record = await readVmRecord(dir);
      if (record === undefined) return { item: ref };
      if (record === null || record.provider !== config.name) {
        return {
          item: ref,
          error: new PoolformError('local-vm-not-owned', `local VM ${ref.server_id}: ${dir} is not a VM of VmProvider ${config.name}; not deleting it`),
        };
      }
      if (record.pid !== null) await killVmProcessGroup(record.pid, record.server_id, groups);
      // Out of observe()'s sight first, then removed: a crash in between leaves only a dot-directory.
      const trash = join(root, `.deleting-${ref.server_id}-${uniqueSuffix()}`);
      try {
        await rename(dir, trash);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return { item: ref };
        throw error;
      }
      await rm(trash, { recursive: true, force: true });
      return { item: ref };
    }).catch((error: unknown) => ({
      item: ref,
      error: new PoolformError('local-vm-destroy-failed', `local VM ${ref.server_id}: ${errorMessage(error)}`, { cause: error, retryable: true }),
    }));

  return {
    kind: 'local',
    name: config.name,

    async observe(): Promise<ObservedVm[]> {
      let entries: Dirent[];
      try {
        entries = await readdir(root, { withFileTypes: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return [];
        throw new PoolformError('local-vm-observe-failed', `VmProvider ${config.name}: cannot list ${root}: ${errorMessage(error)}`, {
          cause: error,
          retryable: true,
        });
      }
      const names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
      await sweepLeftovers(
        root,
        entries.filter((e) => e.isDirectory() && LEFTOVER.test(e.name)).map((e) => e.name),
        clock(),
      );
      // Small synchronous reads in chunks, yielding between chunks: several
      // times faster than thousands of async reads, and the event loop (the
      // serve API) is never blocked for more than one chunk.
      const vms: ObservedVm[] = [];
      for (let start = 0; start < names.length; start += OBSERVE_CHUNK) {
        if (start > 0) await new Promise((resolve) => setImmediate(resolve));
        for (const name of names.slice(start, start + OBSERVE_CHUNK)) {
          let record: LocalVmRecord | null;
          try {
            record = readVmRecordInListing(join(root, name));
          } catch (error) {
            throw new PoolformError(
              'local-vm-observe-failed',
              `VmProvider ${config.name}: cannot read ${join(root, name, 'vm.json')}: ${errorMessage(error)}`,
              {
                cause: error,
                retryable: true,
              },
            );
          }
          if (record && record.provider === config.name && record.server_id === name) vms.push(toObserved(record));
        }
      }
      return vms.sort((a, b) => (a.server_id < b.server_id ? -1 : a.server_id > b.server_id ? 1 : 0));
    },

    create,

    async destroy(refs: readonly VmRef[]): Promise<ItemResult<VmRef>[]> {
      const invalid = (ref: VmRef): ItemResult<VmRef> | undefined =>
        SAFE_ID.test(ref.server_id)
          ? undefined
          : { item: ref, error: new PoolformError('invalid-request', `local VM: invalid server id ${JSON.stringify(ref.server_id)}`) };
      const groups = refs.some((ref) => !invalid(ref)) ? scanVmProcessGroups() : null;
      return mapLimit(refs, 16, async (ref) => invalid(ref) ?? destroyOne(ref, groups));
    },

    async capacity(): Promise<Resources | undefined> {
      if (config.cores === undefined && config.memory_mb === undefined && config.gpus === undefined) return undefined;
      return { cores: config.cores ?? 0, memory_mb: config.memory_mb ?? 0, gpus: config.gpus ?? 0 };
    },
  };
}

function assertSafeId(serverId: string): void {
  if (!SAFE_ID.test(serverId)) {
    throw new PoolformError('invalid-request', `local VM: server id ${JSON.stringify(serverId)} cannot name a directory (letters, digits, . _ - only)`);
  }
}

/**
 * The vm.json of `dir`: undefined when the directory does not exist, null when
 * it exists but is not a poolform VM (no or unreadable vm.json, no marker).
 */
export async function readVmRecord(dir: string): Promise<LocalVmRecord | null | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'vm.json'), 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') {
      try {
        await readdir(dir);
        return null;
      } catch {
        return undefined;
      }
    }
    if (code === 'ENOTDIR') return null;
    throw error;
  }
  return parseVmRecord(text);
}

const OBSERVE_CHUNK = 256;

// Hidden directories of a create or destroy that died half-way: never VMs
// (no script runs in them), removed once they are clearly abandoned.
const LEFTOVER = /^\.(tmp|deleting)-/;
const LEFTOVER_AGE_MS = 10 * 60_000;

async function sweepLeftovers(root: string, names: string[], now: Date): Promise<void> {
  for (const name of names) {
    try {
      const info = await stat(join(root, name));
      if (now.getTime() - info.mtimeMs > LEFTOVER_AGE_MS) await rm(join(root, name), { recursive: true, force: true });
    } catch {
      // Best effort: another process may be removing it too.
    }
  }
}

/** vm.json of a directory observe() just listed: null when it is not a poolform VM; other read errors throw (observe fails: unknown, not gone). */
function readVmRecordInListing(dir: string): LocalVmRecord | null {
  try {
    return parseVmRecord(readFileSync(join(dir, 'vm.json'), 'utf8'));
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

function parseVmRecord(text: string): LocalVmRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const str = (key: string): string | null => (typeof v[key] === 'string' ? v[key] : null);
  const provider = str('provider');
  const intent = str('intent_id');
  const server = str('server_id');
  const pool = str('pool');
  const autoscale = str('autoscale');
  const hostname = str('hostname');
  const created = str('created_at');
  const bootAt = str('boot_at');
  const pid = v['pid'];
  if (v['poolform'] !== 1 || provider === null || intent === null || server === null || pool === null || autoscale === null) return null;
  if (hostname === null || created === null || bootAt === null) return null;
  if (pid !== null && !(typeof pid === 'number' && Number.isInteger(pid))) return null;
  return { poolform: 1, provider, intent_id: intent, server_id: server, pool, autoscale, hostname, created_at: created, boot_at: bootAt, pid };
}
