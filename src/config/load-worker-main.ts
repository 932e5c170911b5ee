// Entry point of the config-loading worker thread (load-worker.ts): runs
// loadConfig on the directory it is given and posts the result back. At most
// MAX_DIAGNOSTICS diagnostics cross back: the main thread deserialises the
// message, and tens of thousands of them (a huge broken file) would hold its
// event loop for tens of milliseconds.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from './load.ts';
import type { LoadOptions } from './load.ts';
import type { Diagnostic } from './model.ts';

const MAX_DIAGNOSTICS = 1_000;

// On Linux this lowers the priority of this thread only (setpriority on the calling thread;
// the main thread keeps its own): on a busy machine the API's event loop gets the CPU first.
// Elsewhere it would lower the whole process, so it is left alone.
if (process.platform === 'linux') {
  try {
    setPriority(10);
  } catch {
    // not permitted: load at normal priority
  }
}

const { dir, options } = workerData as { dir: string; options: LoadOptions };
const result = await loadConfig(dir, options);
if (result.diagnostics.length > MAX_DIAGNOSTICS) {
  const dropped = result.diagnostics.slice(MAX_DIAGNOSTICS);
  const errors = dropped.filter((d) => d.severity === 'error').length;
  const more: Diagnostic = {
    severity: errors > 0 ? 'error' : 'warning',
    code: 'diagnostics-truncated',
    message: `${dropped.length} more diagnostics (${errors} errors) not shown; run poolform validate for all of them`,
    file: '',
    line: 0,
    column: 0,
    path: '',
  };
  result.diagnostics = [...result.diagnostics.slice(0, MAX_DIAGNOSTICS), more];
}
parentPort?.postMessage(result);
