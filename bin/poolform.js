#!/usr/bin/env node
// Entry point. What it runs (docs/development.md#how-the-command-runs):
// - an installed package (inside node_modules, or shipped without src/): the
//   compiled dist/cli/main.js (`npm run build`, run by `prepare` and `npm pack`);
// - a clone: the TypeScript sources, src/cli/main.ts, by Node's type stripping,
//   so tests and `npx poolform` never run a stale dist/;
// - POOLFORM_RUN=dist or POOLFORM_RUN=src forces one (benchmarks, package test).
// On a Node older than 22.22 an installed package says so in one line and
// stops; a clone re-runs itself through scripts/with-node.sh (Node 24).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const inClone = existsSync(`${here}src/cli/main.ts`) && !here.split(/[\\/]/).includes('node_modules');
const run = process.env.POOLFORM_RUN === 'dist' || process.env.POOLFORM_RUN === 'src' ? process.env.POOLFORM_RUN : inClone ? 'src' : 'dist';
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if ((major < 22 || (major === 22 && minor < 22)) && !inClone) {
  process.stderr.write(
    `poolform needs Node.js >= 22.22 (this is ${process.versions.node}): install Node 24 LTS (https://nodejs.org, or your package manager), then run poolform again\n`,
  );
  process.exit(1);
} else if (major < 22 || (major === 22 && minor < 22)) {
  const script = fileURLToPath(new URL('../scripts/with-node.sh', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  // The child (Node 24) does the work; this process only relays. Supervisors, `docker stop`
  // and `kill PID` signal this process: pass SIGTERM/SIGINT/SIGHUP on (with-node.sh execs node,
  // so the child is node itself) and end with the child's status, or by the child's signal.
  const child = spawn('/bin/sh', [script, 'node', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }
  child.on('error', (err) => {
    process.stderr.write(`poolform: cannot start Node 24: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die by the same signal so the parent sees what the child saw (our handlers go first).
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
} else {
  // Node 22 flags node:sqlite (the default state backend) as experimental on
  // every run; that is not the user's concern. Other warnings pass through.
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    if (type === 'ExperimentalWarning' && String(warning).includes('SQLite')) return;
    emitWarning(warning, ...rest);
  };
  // `poolform state list | head -1`: a reader that goes away is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const entry = run === 'src' ? '../src/cli/main.ts' : '../dist/cli/main.js';
  if (run === 'dist' && !existsSync(fileURLToPath(new URL(entry, import.meta.url)))) {
    process.stderr.write(`poolform: ${here}dist/ is missing: run \`npm run build\` there (or \`npm ci\`, which builds it)\n`);
    process.exit(1);
  }
  const { main } = await import(entry);
  process.exitCode = await main(process.argv);
}
