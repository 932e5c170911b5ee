// Loading the configuration off the event loop, for `serve`'s reloads. The
// load (the same loadConfig with the same budgets as validate) runs in a
// worker thread with its own heap limit and a deadline:
// - the API (/healthz, sessions, check-ins) keeps answering while a large or
//   hostile config is parsed and checked;
// - whatever the input does to the worker (runs out of its heap, overruns
//   the deadline, throws), the daemon gets diagnostics back, never a crash,
//   and keeps serving its last good configuration (config-reload.ts).
// The result crosses the thread boundary by structured clone: a Config is
// plain data (no functions, no class instances).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Diagnostic, LoadResult } from './model.ts';
import type { LoadOptions } from './load.ts';

export interface WorkerLoadOptions extends LoadOptions {
  /** The worker is stopped after this long (default 120 s): a diagnostic, not a hang. */
  timeoutMs?: number;
  /** Heap of the worker (default 1536 MB, at least 32 MB; the budgets keep a load under 1 GiB). */
  maxHeapMb?: number;
}

export const DEFAULT_WORKER_TIMEOUT_MS = 120_000;
const DEFAULT_HEAP_MB = 1536;
const MIN_HEAP_MB = 32;

/**
 * The worker's entry: the TypeScript source in a clone; in the built package
 * (scripts/build.ts) the entry dist/cli/config-worker.js, which is where
 * `../cli/` leads from any module of dist/ (every output file is two folders
 * below the package root).
 */
export function workerUrl(moduleUrl: string = import.meta.url): URL {
  return moduleUrl.endsWith('.ts') ? new URL('./load-worker-main.ts', moduleUrl) : new URL('../cli/config-worker.js', moduleUrl);
}

function failure(code: string, message: string): LoadResult {
  const d: Diagnostic = { severity: 'error', code, message, file: '', line: 0, column: 0, path: '' };
  return { diagnostics: [d] };
}

/** loadConfig in a worker thread; resolves with diagnostics on any failure of the worker (never rejects). */
export function loadConfigInWorker(dir: string, options: WorkerLoadOptions = {}): Promise<LoadResult> {
  const { timeoutMs = DEFAULT_WORKER_TIMEOUT_MS, ...loadOptions } = options;
  // Below a few MB V8 cannot even start the worker and aborts the whole process: never go that low.
  const maxHeapMb = Math.max(MIN_HEAP_MB, options.maxHeapMb ?? DEFAULT_HEAP_MB);
  const url = workerUrl();
  if (!existsSync(fileURLToPath(url))) {
    // A build without the worker entry: load in this thread (same budgets) rather than not at all.
    return import('./load.ts')
      .then(({ loadConfig }) => loadConfig(dir, loadOptions))
      .catch((err: unknown) =>
        failure('config-load-failed', `loading the configuration in ${dir} failed: ${err instanceof Error ? err.message : String(err)}`),
      );
  }
  return new Promise<LoadResult>((resolve) => {
    let settled = false;
    let worker: Worker;
    const finish = (result: LoadResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
      void worker.terminate().catch(() => undefined);
    };
    try {
      worker = new Worker(url, {
        workerData: { dir, options: loadOptions },
        resourceLimits: { maxOldGenerationSizeMb: maxHeapMb, stackSizeMb: 8 },
        stdout: false,
        stderr: false,
      });
    } catch (err) {
      resolve(failure('config-load-failed', `cannot start the config loader (${err instanceof Error ? err.message : String(err)})`));
      return;
    }
    const timer = setTimeout(() => {
      finish(failure('config-load-timeout', `loading the configuration in ${dir} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
    }, timeoutMs);
    timer.unref?.();
    worker.once('message', (result: LoadResult) => finish(result));
    worker.once('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish(
        oom
          ? failure('config-load-failed', `loading the configuration in ${dir} ran out of memory (more than ${maxHeapMb} MB) and was stopped`)
          : failure('config-load-failed', `loading the configuration in ${dir} failed: ${err.message}`),
      );
    });
    // A posted result is delivered before 'exit'; wait one turn anyway so it always wins.
    worker.once('exit', (code) => setImmediate(() => finish(failure('config-load-failed', `the config loader stopped (exit ${code}) before it answered`))));
  });
}
