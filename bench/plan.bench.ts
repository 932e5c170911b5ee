// `plan` with 10,000 servers in state on the local provider: wall time and
// peak RSS of a full plan (snapshot + refresh of 10,000 local VM directories +
// decide + buildPlan + text rendering), against a baseline measured in the
// same run: loading the snapshot alone. Each measurement runs in its own
// child process so its peak RSS is its own.
//
//   node bench/plan.bench.ts            (SERVERS=N to change the size)
// Last line: {"bench":"plan", ...metrics}
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const SERVERS = Number(process.env['SERVERS'] ?? 10_000);
const RUNS = Number(process.env['RUNS'] ?? 3);

interface Measure {
  ms: number;
  maxRssMb: number;
  changes?: number;
  /** plan only: planOnce + rendering, without module loading and config parsing. */
  coreMs?: number;
}

function base32(n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let s = '';
  for (let i = 0; i < 8; i++) {
    s = (alphabet[n % 32] ?? 'a') + s;
    n = Math.floor(n / 32);
  }
  return s;
}

async function setup(root: string): Promise<{ config: string; state: string }> {
  const config = join(root, 'config');
  const state = join(root, 'state');
  mkdirSync(config, { recursive: true });
  mkdirSync(join(state, 'local-vms'), { recursive: true });
  writeFileSync(
    join(config, 'bench.yaml'),
    `kind: VmProvider
name: local
type: local
max_instances: ${SERVERS * 2}
startup_script: "true"
---
kind: Pool
name: bench
type: server
autoscale:
  - name: std
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    minimum_available_sessions: ${SERVERS}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
`,
  );
  const { createSqliteStore } = await import('../src/state/sqlite-store.ts');
  const store = await createSqliteStore({ path: state });
  const now = new Date().toISOString();
  for (let i = 0; i < SERVERS; i++) {
    const id = base32(i + 1_000_000);
    const address = `vm.bench.std.${id}`;
    const hostname = `bench-${id.slice(1)}`;
    await store.putResource({
      address,
      type: 'vm',
      provider: 'local',
      provider_id: id,
      attributes: {
        server_id: id,
        pool: 'bench',
        autoscale: 'std',
        hostname,
        ip: '127.0.0.1',
        private_ip: '127.0.0.1',
        public_ip: '127.0.0.1',
        intent_id: `i-${id}`,
      },
      status: 'created',
      created_at: now,
      updated_at: now,
    });
    await store.putServer({
      id,
      pool: 'bench',
      autoscale: 'std',
      address,
      hostname,
      ip: '127.0.0.1',
      connection_type: 'rdp',
      connection_port: 3389,
      status: 'running',
      status_message: '',
      status_progress: 100,
      max_sessions: 1,
      reusable: true,
      capacity: null,
      enabled: true,
      created_at: now,
      updated_at: now,
      checked_in_at: now,
    });
    // The local provider's VM: a directory with its vm.json (never booted: no process).
    const dir = join(state, 'local-vms', id);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'vm.json'),
      JSON.stringify({
        poolform: 1,
        provider: 'local',
        intent_id: `i-${id}`,
        server_id: id,
        pool: 'bench',
        autoscale: 'std',
        hostname,
        created_at: now,
        boot_at: now,
        pid: null,
      }),
    );
  }
  await store.close();
  return { config, state };
}

/** Child mode: one measurement, printed as JSON. */
async function child(mode: string, config: string, state: string): Promise<void> {
  const t0 = performance.now();
  const { createSqliteStore } = await import('../src/state/sqlite-store.ts');
  let changes: number | undefined;
  let coreMs: number | undefined;
  if (mode === 'snapshot') {
    const store = await createSqliteStore({ path: state });
    const snap = await store.snapshot();
    if (snap.resources.length !== SERVERS) throw new Error(`expected ${SERVERS} resources, got ${snap.resources.length}`);
    await store.close();
  } else {
    const { loadConfig } = await import('../src/config/load.ts');
    const { createProviderRegistry } = await import('../src/providers/registry.ts');
    const { planOnce } = await import('../src/apply/reconcile.ts');
    const { createSeededIdGen } = await import('../src/plan/names.ts');
    const { renderPlanText } = await import('../src/plan/render-text.ts');
    const loaded = await loadConfig(config);
    if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
    const store = await createSqliteStore({ path: state });
    const registry = createProviderRegistry({ config: loaded.config, stateDir: state, env: {} });
    const tc = performance.now();
    const { plan } = await planOnce({ config: loaded.config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(1) });
    renderPlanText(plan);
    coreMs = performance.now() - tc;
    changes = plan.changes.length;
    await store.close();
  }
  const out: Measure = { ms: performance.now() - t0, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  if (changes !== undefined) out.changes = changes;
  if (coreMs !== undefined) out.coreMs = coreMs;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function measure(mode: string, config: string, state: string): Measure {
  const r = spawnSync(process.execPath, [SELF, '--child', mode, config, state], { encoding: 'utf8', env: { ...process.env, SERVERS: String(SERVERS) } });
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Measure;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'poolform-bench-plan-'));
  try {
    const t0 = performance.now();
    const { config, state } = await setup(root);
    process.stdout.write(`setup: ${SERVERS} servers in state and local VM directories in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const base: Measure[] = [];
    const full: Measure[] = [];
    for (let i = 0; i < RUNS; i++) {
      base.push(measure('snapshot', config, state));
      full.push(measure('plan', config, state));
    }
    const baseMs = median(base.map((m) => m.ms));
    const planMs = median(full.map((m) => m.ms));
    const baseRss = Math.max(...base.map((m) => m.maxRssMb));
    const planRss = Math.max(...full.map((m) => m.maxRssMb));
    const changes = full[0]?.changes ?? -1;
    const coreMs = median(full.map((m) => m.coreMs ?? 0));
    process.stdout.write(`baseline (open state + snapshot of ${SERVERS} servers): ${baseMs.toFixed(0)} ms, peak RSS ${baseRss.toFixed(0)} MB\n`);
    process.stdout.write(
      `plan (snapshot + refresh + decide + plan + render): ${planMs.toFixed(0)} ms, peak RSS ${planRss.toFixed(0)} MB, ${changes} changes\n`,
    );
    process.stdout.write(`  of which planOnce + render (no module loading / YAML): ${coreMs.toFixed(0)} ms\n`);
    process.stdout.write(`ratio: time ${(planMs / baseMs).toFixed(2)}x, RSS ${(planRss / baseRss).toFixed(2)}x (median of ${RUNS} runs each)\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'plan',
        servers: SERVERS,
        plan_ms: Math.round(planMs),
        plan_peak_rss_mb: Math.round(planRss),
        plan_core_ms: Math.round(coreMs),
        baseline_snapshot_ms: Math.round(baseMs),
        baseline_peak_rss_mb: Math.round(baseRss),
        time_ratio: Number((planMs / baseMs).toFixed(2)),
        rss_ratio: Number((planRss / baseRss).toFixed(2)),
        changes,
      })}\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1] ?? 'plan', args[2] ?? '', args[3] ?? '');
else await main();
