// CLI start-up benchmark: whole processes, median of RUNS, measured against
// baselines in the same run (issue 14 targets):
//   --version, --help                 ≤ 3× `node -e 0`
//   validate config.example           ≤ 4× a script that only parses the same YAML files with `yaml`
//   plan config.example (local)       ≤ 8× that same yaml-only baseline
// It measures what users run: the compiled dist/ (built first, POOLFORM_RUN=dist),
// and for comparison the clone's TypeScript sources (POOLFORM_RUN=src).
// `npm run bench -- cli`; BENCH_RUNS=N changes the number of runs (default 7).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const bin = `${root}bin/poolform.js`;
const state = mkdtempSync(join(tmpdir(), 'poolform-cli-bench-'));

const build = spawnSync(process.execPath, [`${root}scripts/build.ts`], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);

/** Parses every YAML file under config.example with `yaml`, nothing else: what validate cannot do less than. */
const yamlOnly = `
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
const dir = ${JSON.stringify(`${root}config.example/`)};
for (const f of readdirSync(dir, { recursive: true })) {
  if (/\\.ya?ml$/.test(String(f))) for (const d of parseAllDocuments(readFileSync(dir + f, 'utf8'))) d.toJS();
}`;

function median(args: string[], env: Record<string, string> = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    times.push(performance.now() - t);
    if (r.status !== 0 && !(args.includes('plan') && r.status === 2)) {
      throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 500)}`);
    }
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const nodeBaseline = median(['-e', '0']);
const yamlBaseline = median(['--input-type=module', '-e', yamlOnly]);
const result: Record<string, unknown> = { bench: 'cli', runs: RUNS, node_e_0_ms: Math.round(nodeBaseline), yaml_only_ms: Math.round(yamlBaseline) };
const rows: [string, string[], number, number][] = [
  ['--version', ['--version'], nodeBaseline, 3],
  ['--help', ['--help'], nodeBaseline, 3],
  ['validate config.example', ['validate', 'config.example'], yamlBaseline, 4],
  ['plan config.example', ['plan', 'config.example', '--state', state], yamlBaseline, 8],
];
console.log(`baselines: node -e 0 ${nodeBaseline.toFixed(0)} ms; yaml-only parse of config.example ${yamlBaseline.toFixed(0)} ms (median of ${RUNS})`);
for (const mode of ['dist', 'src'] as const) {
  for (const [label, args, baseline, target] of rows) {
    const ms = median([bin, ...args], { POOLFORM_RUN: mode });
    const ratio = ms / baseline;
    const key = `${mode}_${label.split(' ')[0]?.replace(/^--/, '')}`;
    result[`${key}_ms`] = Math.round(ms);
    result[`${key}_ratio`] = Number(ratio.toFixed(2));
    const verdict = mode === 'dist' ? (ratio <= target ? `within ${target}×` : `OVER ${target}×`) : '(clone, for comparison)';
    console.log(`${mode.padEnd(4)} ${label.padEnd(24)} ${ms.toFixed(0).padStart(6)} ms  ${ratio.toFixed(2)}× ${verdict}`);
  }
}
rmSync(state, { recursive: true, force: true });
console.log(JSON.stringify(result));
