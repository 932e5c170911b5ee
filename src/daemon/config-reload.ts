// The configuration the daemon serves. A reload that yields an invalid config
// is logged (each error with file:line:column) and kept in `diagnostics` for
// /api/v1/status, while the last good config keeps serving; a valid one
// replaces it and `onLoaded` runs (re-arm the schedule timer, reconcile).
// Reloads are serialised: one at a time, in call order.
import type { Config, Diagnostic, LoadResult } from '../config/model.ts';
import type { Clock, Log } from '../server/types.ts';
import { errorMessage } from '../util/errors.ts';

export interface ConfigHolderOptions {
  dir: string;
  load: (dir: string) => Promise<LoadResult>;
  /** The load done before start. */
  initial: LoadResult;
  log: Log;
  clock: Clock;
  /** After a valid config replaced the served one. */
  onLoaded?: (config: Config) => void;
}

export interface ConfigHolder {
  config(): Config | undefined;
  diagnostics(): Diagnostic[];
  /** When the served config was loaded (ISO), null when none valid yet. */
  loadedAt(): string | null;
  /** When the latest load was rejected (ISO): the last good config is being served. Null after a good load. */
  rejectedAt(): string | null;
  /** Reload DIR (queued behind a reload in progress). Never rejects. */
  reload(): Promise<void>;
  /** Resolves when the reloads started so far are done. */
  settled(): Promise<void>;
}

export function createConfigHolder(options: ConfigHolderOptions): ConfigHolder {
  const { dir, log, clock } = options;
  let config: Config | undefined = options.initial.config;
  let diagnostics: Diagnostic[] = options.initial.diagnostics;
  let loadedAt: string | null = config ? new Date(clock()).toISOString() : null;
  let reloading: Promise<void> = Promise.resolve();
  let rejectedAt: string | null = null;

  async function reloadNow(): Promise<void> {
    let result: LoadResult;
    try {
      result = await options.load(dir);
    } catch (err) {
      result = { diagnostics: [{ severity: 'error', code: 'load-failed', message: errorMessage(err), file: '', line: 0, column: 0, path: '' }] };
    }
    diagnostics = result.diagnostics;
    if (!result.config) {
      rejectedAt = new Date(clock()).toISOString();
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      for (const d of errors) {
        log.error(
          { event: 'config-invalid', file: d.file, line: d.line, column: d.column, code: d.code },
          `${d.file}:${d.line}:${d.column}: ${d.code}: ${d.message}`,
        );
      }
      log.warn(
        { event: 'config-rejected', errors: errors.length },
        `configuration in ${dir} is invalid (${errors.length} error(s)); still serving the last good configuration`,
      );
      return;
    }
    config = result.config;
    loadedAt = new Date(clock()).toISOString();
    rejectedAt = null;
    log.info({ event: 'config-loaded', dir, pools: config.pools.length, warnings: result.diagnostics.length }, `configuration reloaded from ${dir}`);
    options.onLoaded?.(config);
  }

  return {
    config: () => config,
    diagnostics: () => diagnostics,
    loadedAt: () => loadedAt,
    rejectedAt: () => rejectedAt,
    reload() {
      reloading = reloading.then(reloadNow, reloadNow);
      return reloading;
    },
    settled: () => reloading.catch(() => undefined),
  };
}
