// `npm run bench`: runs every bench/*.bench.ts in its own process (so peak
// memory is per benchmark) and prints their results. Each benchmark measures
// its baseline in the same run and reports ratios, never absolute pass/fail.
// Contract for a benchmark script: print human-readable lines, and as the last
// line a JSON object `{"bench": "<name>", ...metrics}`.
// `npm run bench -- NAME...` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

const results: unknown[] = [];
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file}\n`);
  const r = spawnSync(process.execPath, [`${dir}${file}`], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(r.stdout);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    results.push(JSON.parse(last));
  } catch {
    failed++;
    process.stdout.write(`(${file} printed no JSON result; exit ${r.status})\n`);
  }
  if (r.status !== 0) failed++;
}
process.stdout.write(`\n=== summary\n${JSON.stringify(results, null, 2)}\n`);
process.exitCode = failed > 0 ? 1 : 0;
