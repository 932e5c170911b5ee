// Entry point of the config-loading worker thread (load-worker.ts): runs
// loadConfig on the directory it is given and posts the result back.
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from './load.ts';
import type { LoadOptions } from './load.ts';

const { dir, options } = workerData as { dir: string; options: LoadOptions };
const result = await loadConfig(dir, options);
parentPort?.postMessage(result);
