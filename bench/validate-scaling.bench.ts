// Validate scaling benchmark (issue 11): validation time must grow linearly.
// For each input shape (keys in one mapping, list items, schedules, startup
// script size, and the error paths: unknown fields, invalid list items,
// syntax errors) it times loadConfig at 1×, 2× and 4× the size and prints
// the times and the ratios 2×/1× and 4×/2× of CPU time (linear: about 2;
// the issue's bound: at most ~2.2; wall time is printed too, but on a busy
// shared machine it mostly measures the other processes). Then it measures the peak memory (max RSS, with
// /usr/bin/time -v when present) of `poolform validate` on a configuration
// at the node budget's maximum, which must stay under 1 GiB.
// Prints human-readable lines, then one JSON line (bench/run.ts contract).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/load.ts';
import type { ConfigBudgets } from '../src/config/budgets.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 3;
const PROVIDER = 'kind: VmProvider\nname: local\ntype: local\nmax_instances: 5\nstartup_script: "echo {server_id}"\n';

interface Shape {
  name: string;
  base: number;
  text: (n: number) => string;
  budgets?: Partial<ConfigBudgets>;
}

const pad = (i: number): string => String(i).padStart(2, '0');

const SHAPES: Shape[] = [
  {
    name: 'keys in one mapping',
    base: 10_000,
    budgets: { maxKeysPerMapping: 100_000 },
    text: (n) =>
      `kind: Pool\nname: p\ntype: server\nservers:\n  - name: s\n    hostname: h\n    connection_type: rdp\n    connection_info:\n${Array.from({ length: n }, (_, i) => `      key${i}: value${i}`).join('\n')}\n`,
  },
  {
    name: 'list items (fixed servers)',
    base: 5_000,
    text: (n) =>
      `kind: Pool\nname: p\ntype: server\nservers:\n${Array.from({ length: n }, (_, i) => `  - { name: s${i}, hostname: h${i}.example, connection_type: rdp }`).join('\n')}\n`,
  },
  {
    name: 'schedules',
    base: 1_000,
    budgets: { maxSchedules: 100_000 },
    text: (n) =>
      `${PROVIDER}---\nkind: Pool\nname: p\ntype: server\nautoscale:\n  - name: a\n    vm_provider: local\n    connection_type: rdp\n    schedules:\n${Array.from({ length: n }, (_, i) => `      - { days: [mon, wed], start: "${pad(i % 23)}:${pad(i % 60)}", end: "${pad((i % 23) + 1)}:00", timezone: ${i % 2 ? 'UTC' : 'Europe/Berlin'} }`).join('\n')}\n`,
  },
  {
    name: 'startup script bytes',
    base: 1024 * 1024,
    budgets: { maxTemplateBytes: 16 * 1024 * 1024 },
    text: (n) => {
      const unit = 'echo {server_id} { stray {{literal}} {nope} ${HOME} }\n';
      const body = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
      return `kind: VmProvider\nname: local\ntype: local\nmax_instances: 5\nstartup_script: |\n${body
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n`;
    },
  },
  {
    name: 'unknown fields (errors)',
    base: 10_000,
    budgets: { maxKeysPerMapping: 100_000 },
    text: (n) => `kind: Zone\nname: z\n${Array.from({ length: n }, (_, i) => `bogus${i}: 1`).join('\n')}\n`,
  },
  {
    name: 'invalid list items (errors)',
    base: 5_000,
    text: (n) =>
      `kind: Pool\nname: p\ntype: server\nservers:\n${Array.from({ length: n }, (_, i) => `  - { name: s${i}, address: h${i}.example }`).join('\n')}\n`,
  },
  {
    name: 'stray brackets (syntax errors)',
    base: 50_000,
    text: (n) => ']\n'.repeat(n),
  },
];

/**
 * Best of RUNS: wall time, and the CPU time of the process (user + system),
 * which a busy shared machine disturbs less; the ratios use CPU time.
 */
async function timeLoad(text: string, budgets: Partial<ConfigBudgets> | undefined): Promise<{ ms: number; cpuMs: number; diagnostics: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'poolform-scaling-'));
  try {
    await writeFile(join(dir, 'a.yaml'), text);
    let best = Number.POSITIVE_INFINITY;
    let bestCpu = Number.POSITIVE_INFINITY;
    let diagnostics = 0;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      const result = await loadConfig(dir, budgets ? { budgets } : {});
      const used = process.cpuUsage(c);
      best = Math.min(best, performance.now() - t);
      bestCpu = Math.min(bestCpu, (used.user + used.system) / 1000);
      diagnostics = result.diagnostics.length;
    }
    return { ms: best, cpuMs: bestCpu, diagnostics };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const results: Record<string, { sizes: number[]; ms: number[]; cpu_ms: number[]; ratios: number[] }> = {};
await timeLoad(SHAPES[1]?.text(200) ?? '', undefined); // warm-up (ajv compile, JIT)
for (const shape of SHAPES) {
  const sizes = [shape.base, shape.base * 2, shape.base * 4];
  const ms: number[] = [];
  const cpu: number[] = [];
  const counts: number[] = [];
  for (const n of sizes) {
    const r = await timeLoad(shape.text(n), shape.budgets);
    ms.push(r.ms);
    cpu.push(r.cpuMs);
    counts.push(r.diagnostics);
  }
  const ratios = [cpu[1]! / cpu[0]!, cpu[2]! / cpu[1]!];
  results[shape.name] = {
    sizes,
    ms: ms.map((v) => Math.round(v)),
    cpu_ms: cpu.map((v) => Math.round(v)),
    ratios: ratios.map((v) => Math.round(v * 100) / 100),
  };
  process.stdout.write(
    `${shape.name.padEnd(32)} ${sizes.map((n, i) => `${n}: ${ms[i]!.toFixed(0)} ms wall, ${cpu[i]!.toFixed(0)} ms CPU (${counts[i]} diag)`).join('; ')}  CPU ratios 2x/1x ${ratios[0]!.toFixed(2)}, 4x/2x ${ratios[1]!.toFixed(2)}\n`,
  );
}

// Peak memory of `poolform validate` at the node budget's maximum: 40,000 fixed servers (~280,000 nodes).
let maxRssMb: number | null = null;
if (existsSync('/usr/bin/time')) {
  const dir = await mkdtemp(join(tmpdir(), 'poolform-scaling-rss-'));
  try {
    const servers = Array.from({ length: 40_000 }, (_, i) => `  - { name: s${i}, hostname: h${i}.example, connection_type: rdp }`).join('\n');
    await writeFile(join(dir, 'a.yaml'), `${PROVIDER}---\nkind: Pool\nname: p\ntype: server\nservers:\n${servers}\n`);
    const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(root, 'bin/poolform.js'), 'validate', dir], { encoding: 'utf8' });
    const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 'NaN');
    maxRssMb = Math.round(kb / 1024);
    process.stdout.write(`validate, 40,000 fixed servers (near the node budget): exit ${r.status}, max RSS ${maxRssMb} MB\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`${JSON.stringify({ bench: 'validate-scaling', shapes: results, max_rss_mb_at_budget: maxRssMb })}\n`);
