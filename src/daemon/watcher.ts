// Watches the config directory (chokidar) and calls `onChange` once per burst
// of changes, `debounceMs` after the last one (editors write files in several
// steps: temp file, rename, chmod). Only YAML files and the files secrets
// are read from matter, but any change under the directory triggers a reload:
// reloading is cheap and level-based.
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';

export interface ConfigWatcher {
  /** Resolves once the initial scan is done (changes after this are reported). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface WatchOptions {
  debounceMs?: number;
  /**
   * A watch error (a symbolic-link loop, a directory that vanished, EMFILE...).
   * Without a listener chokidar's 'error' event would crash the process, so
   * errors always land here (default: ignored) and a reload follows anyway:
   * reloading is level-based, so the config errors show in /api/v1/status.
   */
  onError?: (err: Error) => void;
}

export function watchConfigDir(dir: string, onChange: (paths: string[]) => void, options: WatchOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 300;
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    // Editor swap/backup files and dot-directories (.git) never hold config.
    ignored: (path: string) => /(^|[/\\])\.(?!\.?$)[^/\\]*$/.test(path) || /~$|\.sw[px]$/.test(path),
  });
  let timer: NodeJS.Timeout | undefined;
  let pending = new Set<string>();
  const fire = (): void => {
    timer = undefined;
    const paths = [...pending];
    pending = new Set();
    onChange(paths);
  };
  watcher.on('all', (_event, path) => {
    pending.add(path);
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  });
  watcher.on('error', (err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    try {
      options.onError?.(error);
    } catch {
      // A failing error reporter must not take the watcher (and the daemon) down.
    }
    pending.add(dir);
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  });
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await watcher.close();
    },
  };
}
