#!/usr/bin/env node
// Entry point. The sources are TypeScript run by Node's built-in type stripping
// (Node >= 22.22), so there is no build step. On an older Node this re-runs
// itself through scripts/with-node.sh, which provides Node 24.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  const script = fileURLToPath(new URL('../scripts/with-node.sh', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('/bin/sh', [script, 'node', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
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
