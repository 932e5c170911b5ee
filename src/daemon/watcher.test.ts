// The config watcher reacts to YAML files and the files they reference through
// `${file:}`, never to the state directory (issue 12, defect 1: `serve` run
// inside its config directory reconciled twice a second on SQLite WAL writes).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { createMetrics } from '../server/metrics.ts';
import { silentLog } from '../server/types.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import { localPoolYaml, waitUntil } from '../testing/local-pool.ts';
import type { StateStore } from '../state/types.ts';
import { createDaemon } from './daemon.ts';
import type { Daemon } from './daemon.ts';
import type { ReconcileFn } from './pipeline.ts';
import { fileReferences, watchConfigDir } from './watcher.ts';
import type { ConfigWatcher } from './watcher.ts';

const POOLS = localPoolYaml();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const waitFor = waitUntil;

const dirs: string[] = [];
const watchers: ConfigWatcher[] = [];
const daemons: Daemon[] = [];
const stores: StateStore[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const s of stores.splice(0)) await s.close();
  for (const w of watchers.splice(0)) await w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-watch-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'pools.yaml'), POOLS);
  return dir;
}

/** Writes that look like a busy state directory: SQLite WAL, local VM directories. */
function churnState(stateDir: string, rounds: number): void {
  mkdirSync(join(stateDir, 'vms', 'vm-1'), { recursive: true });
  for (let i = 0; i < rounds; i++) {
    writeFileSync(join(stateDir, 'poolform.db-wal'), `wal ${i}`);
    writeFileSync(join(stateDir, 'vms', 'vm-1', 'status.json'), `{"i":${i}}`);
    writeFileSync(join(stateDir, 'vms', 'vm-1', 'server.yaml'), `i: ${i}\n`);
  }
}

describe('fileReferences', () => {
  it('resolves ${file:} paths against the YAML file, keeps absolute ones', () => {
    expect(fileReferences('a: ${file:keys/api.txt}\nb: "${file:/etc/pw}"\nc: ${env:X}', '/cfg/sub/s.yaml')).toEqual(['/cfg/sub/keys/api.txt', '/etc/pw']);
  });
});

describe('watchConfigDir', () => {
  it('ignores the state directory inside the config directory and non-config files; reacts to YAML', async () => {
    const dir = configDir();
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    const changes: string[][] = [];
    const w = watchConfigDir(dir, (p) => changes.push(p), { debounceMs: 50, ignorePaths: [stateDir] });
    watchers.push(w);
    await w.ready;
    churnState(stateDir, 20);
    writeFileSync(join(dir, 'notes.md'), 'not config');
    writeFileSync(join(dir, 'poolform.db'), 'not config either');
    await sleep(600);
    expect(changes).toEqual([]);
    writeFileSync(join(dir, 'pools.yaml'), `${POOLS}\n# edited\n`);
    await waitFor(() => changes.length > 0, 5_000, 'a change after the YAML edit');
    expect(changes.flat().every((p) => p.endsWith('pools.yaml'))).toBe(true);
  });

  it('reacts to a file referenced with ${file:}, also outside the directory', async () => {
    const dir = configDir();
    const outside = mkdtempSync(join(tmpdir(), 'poolform-watch-keys-'));
    dirs.push(outside);
    writeFileSync(join(dir, 'key.txt'), 'k1');
    writeFileSync(join(outside, 'other.txt'), 'o1');
    writeFileSync(join(dir, 'settings.yaml'), `kind: Workspace\nname: w\n# \${file:key.txt} \${file:${join(outside, 'other.txt')}}\n`);
    const changes: string[][] = [];
    const w = watchConfigDir(dir, (p) => changes.push(p), { debounceMs: 50 });
    watchers.push(w);
    await w.ready;
    writeFileSync(join(dir, 'key.txt'), 'k2');
    await waitFor(() => changes.length > 0, 5_000, 'a change after the key file was rewritten');
    const n = changes.length;
    writeFileSync(join(outside, 'other.txt'), 'o2');
    await waitFor(() => changes.length > n, 5_000, 'a change after the outside file was rewritten');
  });

  it('a *.yaml FIFO in the directory never blocks it (the loader reports it; the watcher skips it)', async () => {
    const dir = configDir();
    execFileSync('mkfifo', [join(dir, 'stuck.yaml')]);
    writeFileSync(join(dir, 'key.txt'), 'k1');
    writeFileSync(join(dir, 'settings.yaml'), 'kind: Workspace\nname: w\n# ${file:key.txt}\n');
    const changes: string[][] = [];
    const w = watchConfigDir(dir, (p) => changes.push(p), { debounceMs: 50 });
    watchers.push(w);
    await w.ready;
    writeFileSync(join(dir, 'key.txt'), 'k2');
    await waitFor(() => changes.length > 0, 5_000, 'a change after the key file was rewritten');
  });

  it('coalesces a burst of writes into a bounded number of reloads', async () => {
    const dir = configDir();
    const changes: string[][] = [];
    const w = watchConfigDir(dir, (p) => changes.push(p), { debounceMs: 100, maxWaitMs: 5_000 });
    watchers.push(w);
    await w.ready;
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, 'pools.yaml'), `${POOLS}\n# edit ${i}\n`);
    await waitFor(() => changes.length > 0, 5_000, 'the burst to be reported');
    await sleep(400);
    expect(changes.length).toBeLessThanOrEqual(2);
  });
});

describe('serve inside its own config directory (state in ./state)', () => {
  it('state churn causes no config reloads and no extra reconciles', async () => {
    const dir = configDir();
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
    stores.push(store);
    let runs = 0;
    const reconcile: ReconcileFn = () => {
      runs++;
      return Promise.resolve({ changes: [], applied: 0, failed: 0, held: [], decisions: [], errors: [], providerErrors: [], audited: false });
    };
    const daemon = createDaemon({
      dir,
      store,
      log: silentLog,
      metrics: createMetrics(),
      reconcile,
      upstreamAuthAddress: '127.0.0.1:9',
      stateDir,
      load: loadConfig,
      initial: await loadConfig(dir),
      debounceMs: 50,
      lockWaitMs: 200,
    });
    daemons.push(daemon);
    await daemon.start();
    await waitFor(() => runs >= 1, 5_000, 'the start reconcile');
    // The store itself writes (WAL) and the "VMs" churn for a while.
    for (let round = 0; round < 10; round++) {
      churnState(stateDir, 5);
      await store.appendAudit([{ at: new Date().toISOString(), actor: 'test', action: 'noop', address: null, reason: 'churn', detail: {} }]);
      await sleep(60);
    }
    await sleep(500);
    expect(runs).toBe(1);
    expect(daemon.status().config.loaded_at).not.toBeNull();
  });
});
