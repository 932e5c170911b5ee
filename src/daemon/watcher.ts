// Watches the config directory (chokidar) and calls `onChange` once per burst
// of relevant changes.
//
// Relevant means: a `*.yaml` / `*.yml` file (what the loader reads), or a file
// a YAML file references through `${file:PATH}` (key files, certificates,
// passwords; wherever they live). Nothing else: in particular never the state
// directory, even when it sits inside the config directory (the default
// `cd pools && poolform serve` keeps `./state` there, and its SQLite WAL and
// local VM directories change all the time).
//
// Bursts coalesce: `onChange` runs `debounceMs` after the last relevant event,
// and at the latest `maxWaitMs` after the first one of a burst (a file rewritten
// continuously still reloads now and then, never more often than that).
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { CONFIG_FILE, discoverFiles } from '../config/discover.ts';
import { readRegularFileSync } from '../config/bounded-read.ts';
import { BUDGET_CEILINGS } from '../config/budgets.ts';

export interface ConfigWatcher {
  /** Resolves once the initial scan is done (changes after this are reported). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface WatchOptions {
  debounceMs?: number;
  /** Longest a burst of changes can delay its reload (default 10 × debounceMs). */
  maxWaitMs?: number;
  /**
   * Directories never watched (the state directory: SQLite files, local VM
   * directories), wherever they are.
   */
  ignorePaths?: readonly string[];
  /**
   * A watch error (a symbolic-link loop, a directory that vanished, EMFILE...).
   * Without a listener chokidar's 'error' event would crash the process, so
   * errors always land here (default: ignored) and a reload follows anyway:
   * reloading is level-based, so the config errors show in /api/v1/status.
   */
  onError?: (err: Error) => void;
}

const REF = /\$\{file:([^}]+)\}/g;

/** Absolute paths of the files the YAML `text` (read from `file`) references with `${file:PATH}`. */
export function fileReferences(text: string, file: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(REF)) {
    const p = (m[1] ?? '').trim();
    if (p !== '') out.push(isAbsolute(p) ? p : resolve(dirname(file), p));
  }
  return out;
}

/** `${file:}` targets of every YAML file under `dir` (unreadable files are skipped). */
async function referencedFiles(dir: string): Promise<Set<string>> {
  const refs = new Set<string>();
  const files = await discoverFiles(dir).catch(() => []);
  for (const f of files) {
    // Bounded, regular files only: discoverFiles also lists a *.yaml FIFO or
    // device (so that loading reports it), which a plain read would block on
    // or read without end, on serve's event loop.
    const read = readRegularFileSync(f.absPath, BUDGET_CEILINGS.maxFileBytes);
    if (!read.ok) continue;
    const text = read.bytes.toString('utf8');
    for (const r of fileReferences(text, f.absPath)) refs.add(r);
  }
  return refs;
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

export function watchConfigDir(dir: string, onChange: (paths: string[]) => void, options: WatchOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 300;
  const maxWaitMs = options.maxWaitMs ?? debounceMs * 10;
  const root = resolve(dir);
  const ignored = (options.ignorePaths ?? []).map((p) => resolve(p));
  let refs = new Set<string>();
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    ignored: (path: string) =>
      // Editor swap/backup files and dot-directories (.git) never hold config; nor do node_modules or the state directory.
      /(^|[/\\])\.(?!\.?$)[^/\\]*$/.test(path) ||
      /~$|\.sw[px]$/.test(path) ||
      /(^|[/\\])node_modules$/.test(path) ||
      ignored.some((d) => within(resolve(path), d)),
  });
  let timer: NodeJS.Timeout | undefined;
  let firstAt: number | undefined;
  let pending = new Set<string>();
  let closed = false;

  const rescan = async (): Promise<void> => {
    const next = await referencedFiles(root);
    if (closed) return;
    // Referenced files outside the directory are watched on their own.
    const outside = [...next].filter((p) => !within(p, root) && !refs.has(p) && !ignored.some((d) => within(p, d)));
    refs = next;
    if (outside.length > 0) watcher.add(outside);
  };

  const fire = (): void => {
    timer = undefined;
    firstAt = undefined;
    const paths = [...pending];
    pending = new Set();
    if (closed) return;
    // A YAML edit may add or drop `${file:}` references.
    if (paths.some((p) => CONFIG_FILE.test(p))) void rescan();
    onChange(paths);
  };
  const schedule = (path: string): void => {
    pending.add(path);
    const now = Date.now();
    firstAt ??= now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(debounceMs, firstAt + maxWaitMs - now)));
  };
  const relevant = (path: string): boolean => {
    const abs = resolve(root, path);
    if (ignored.some((d) => within(abs, d))) return false;
    return CONFIG_FILE.test(abs) || refs.has(abs);
  };
  watcher.on('all', (_event, path) => {
    if (relevant(path)) schedule(path);
  });
  watcher.on('error', (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    try {
      options.onError?.(error);
    } catch {
      // A failing error reporter must not take the watcher (and the daemon) down.
    }
    schedule(root);
  });
  const ready = Promise.all([new Promise<void>((r) => watcher.once('ready', () => r())), rescan()]).then(() => undefined);
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await watcher.close();
    },
  };
}
