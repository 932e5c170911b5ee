#!/usr/bin/env node
// Entry point. The sources are TypeScript run by Node's built-in type stripping
// (Node >= 22.22), so there is no build step. On an older Node this re-runs
// itself through scripts/with-node.sh, which provides Node 24.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
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
  // `poolform state list | head -1`: a reader that goes away is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv);
}
