// Decision-core benchmark: one decide() round for 1,000 pools (700 server
// pools, 300 docker agent pools, most with schedules in several time zones),
// 10,000 autoscaled servers and 50,000 sessions (35,700 running on server-pool
// servers, 9,300 staged docker sessions, 5,000 queued requests). Baseline in
// the same run: merely copying the input and grouping servers by config (what
// any decision round must at least do). Also runs a quarter-size world to show
// how the cost grows (linear ≈ 4×).
import { performance } from 'node:perf_hooks';
import type { AutoscaleConfig, Pool, VmProvider } from '../src/config/model.ts';
import type { DecisionInput, QueuedRequest, ServerView, StagedSessionView } from '../src/autoscale/types.ts';
import { decide } from '../src/autoscale/decide.ts';
import { localProvider, makeConfig } from '../src/autoscale/testing.ts';

const ROUNDS = 9;
const NOW = '2024-03-13T15:30:00.000Z'; // a Wednesday afternoon in Europe and the Americas
const ZONES = ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney', 'America/Los_Angeles', 'UTC'];

function world(pools: number): DecisionInput {
  const providers: VmProvider[] = Array.from({ length: 10 }, (_, i) => localProvider(`prov-${i}`, (pools * 10) / 10 + 50));
  const poolDocs: Pool[] = [];
  const servers: ServerView[] = [];
  const staged: StagedSessionView[] = [];
  const queued: QueuedRequest[] = [];
  for (let p = 0; p < pools; p++) {
    const docker = p % 10 >= 7;
    const name = `pool-${p}`;
    const schedules: AutoscaleConfig['schedules'] =
      p % 4 === 0 ? [] : [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:00', end: '18:00', timezone: ZONES[p % ZONES.length] ?? 'UTC' }];
    const autoscale: AutoscaleConfig = docker
      ? {
          name: 'agents',
          vm_provider: `prov-${p % 10}`,
          schedules,
          standby_cores: 16,
          standby_memory_mb: 32768,
          agent_cores_override: 16,
          agent_memory_override_gb: 64,
          agent_gpus_override: 0,
          aggressive_scaling: true,
        }
      : {
          name: 'desktops',
          vm_provider: `prov-${p % 10}`,
          schedules,
          minimum_available_sessions: 10,
          max_simultaneous_sessions_per_server: 8,
          aggressive_scaling: p % 2 === 0,
        };
    const pool: Pool = { kind: 'Pool', name, type: docker ? 'docker_agent' : 'server', autoscale: [autoscale] };
    if (docker) pool.staging = [{ name: 'chrome', workspace: 'chrome', autoscale: 'agents', num_sessions: 34, expiration: 24 }];
    poolDocs.push(pool);
    for (let s = 0; s < 10; s++) {
      const id = `${name}-srv-${s}`;
      const status = s === 9 ? 'starting' : s === 8 && p % 3 === 0 ? 'failed' : 'running';
      // The starting one was created 10 minutes ago (within checkin_timeout); the others hours ago.
      const created = new Date(Date.parse(NOW) - (s === 9 ? 600_000 : (s + 1) * 3_600_000) - p * 100).toISOString();
      if (docker) {
        const stagedHere = s < 9 ? 3 + (s % 2) : 0; // 31 per pool → 9,300 staged sessions
        for (let k = 0; k < stagedHere; k++) staged.push({ id: `${id}-st-${k}`, pool: name, staging: 'chrome', server_id: id, created_at: created });
        servers.push({
          id,
          pool: name,
          autoscale: 'agents',
          vm_provider: `prov-${p % 10}`,
          status,
          created_at: created,
          active_sessions: stagedHere,
          max_sessions: 0,
          capacity: { cores: 16, memory_mb: 65536, gpus: 0 },
          used: { cores: stagedHere, memory_mb: stagedHere * 2048, gpus: 0 },
          gone: false,
        });
      } else {
        const active = s < 6 ? 6 : s < 9 ? 5 : 0; // 51 per pool → 35,700 running sessions
        servers.push({
          id,
          pool: name,
          autoscale: 'desktops',
          vm_provider: `prov-${p % 10}`,
          status,
          created_at: created,
          active_sessions: active,
          max_sessions: 8,
          capacity: null,
          used: null,
          gone: false,
        });
      }
    }
    const queuedHere = 5; // 5,000 queued requests overall
    for (let q = 0; q < queuedHere; q++) queued.push({ id: `${name}-q-${q}`, pool: name, workspace: docker ? 'chrome' : null, created_at: NOW });
  }
  const config = makeConfig({
    vmProviders: providers,
    pools: poolDocs,
    workspaces: [{ kind: 'Workspace', name: 'chrome', image: 'kasm/chrome', cores: 1, memory_mb: 2048, gpus: 0 }],
  });
  return { config, servers, queued, staged, history: {}, providerCapacity: {}, now: NOW };
}

function baseline(input: DecisionInput): number {
  // Copy every record and group servers by config: the floor for any decision round.
  const groups = new Map<string, ServerView[]>();
  for (const s of input.servers) {
    const copy = { ...s };
    const key = `${s.pool}/${s.autoscale}`;
    const list = groups.get(key);
    if (list) list.push(copy);
    else groups.set(key, [copy]);
  }
  const staged = input.staged.map((s) => ({ ...s }));
  const queued = input.queued.map((q) => ({ ...q }));
  return groups.size + staged.length + queued.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time1(fn: () => unknown): number[] {
  const t0 = performance.now();
  fn();
  return [performance.now() - t0];
}

function time(fn: () => unknown): number[] {
  fn();
  fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

const full = world(1000);
const sessions =
  full.servers.reduce((n, s) => n + (s.pool.includes('pool-') && s.max_sessions > 0 ? s.active_sessions : 0), 0) + full.staged.length + full.queued.length;
console.log(
  `world: ${full.config.pools.length} pools, ${full.servers.length} servers, ${sessions} sessions (running ${sessions - full.staged.length - full.queued.length}, staged ${full.staged.length}, queued ${full.queued.length})`,
);
const heapBefore = process.memoryUsage().heapUsed;
const result = decide(full);
const heapAfter = process.memoryUsage().heapUsed;
const counts: Record<string, number> = {};
for (const d of result.decisions) counts[d.action] = (counts[d.action] ?? 0) + 1;
console.log(`one round: ${JSON.stringify(counts)} decisions, ${result.staging.length} staging decisions`);

// Full and quarter worlds are timed interleaved, round by round, so JIT warm-up
// and GC pressure weigh on both alike (timing one after the other skews the ratio).
const quarter = world(250);
const fullSamples: number[] = [];
const quarterSamples: number[] = [];
for (let i = 0; i < 3; i++) {
  decide(full);
  decide(quarter);
}
for (let i = 0; i < ROUNDS; i++) {
  fullSamples.push(...time1(() => decide(full)));
  quarterSamples.push(...time1(() => decide(quarter)));
}
const decideMs = median(fullSamples);
const quarterMs = median(quarterSamples);
const baselineMs = median(time(() => baseline(full)));
const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(`decide(): median ${decideMs.toFixed(1)} ms per round over ${ROUNDS} rounds`);
console.log(`baseline (copy + group the input): median ${baselineMs.toFixed(2)} ms → ratio ${(decideMs / baselineMs).toFixed(1)}×`);
console.log(`quarter-size world (250 pools): ${quarterMs.toFixed(1)} ms → full/quarter ${(decideMs / quarterMs).toFixed(2)}× (linear ≈ 4)`);
console.log(`peak RSS ${rssMb.toFixed(0)} MB; heap growth of one round ≈ ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MB`);
console.log(
  JSON.stringify({
    bench: 'decide',
    pools: full.config.pools.length,
    servers: full.servers.length,
    sessions,
    decide_ms_median: Number(decideMs.toFixed(2)),
    baseline_ms_median: Number(baselineMs.toFixed(3)),
    ratio_vs_baseline: Number((decideMs / baselineMs).toFixed(2)),
    quarter_ms_median: Number(quarterMs.toFixed(2)),
    scaling_full_vs_quarter: Number((decideMs / quarterMs).toFixed(2)),
    peak_rss_mb: Number(rssMb.toFixed(1)),
    decisions: result.decisions.length,
    staging_decisions: result.staging.length,
  }),
);
