// Session API throughput as pools grow: each virtual user creates a session
// (POST /api/v1/sessions) and ends it (DELETE /api/v1/sessions/:id), against
// the real app on a real SQLite state file holding 100, 1,000 and 10,000
// running servers (a fresh state per size). Baseline in the same run: a bare
// Hono handler doing the same two requests with no work behind them.
// Loopback only, in-process servers on free ports, bounded durations.
// Each size runs twice (rising, then falling order) and the better run counts.
// Besides req/s it reports CPU time per request (server and load generator
// share this one thread), whose ratios stay put on a machine shared with other
// work, where req/s swing with the load.
// Prints ratios, never pass/fail (issue 13's goals beside them):
//   flat:      req/s at 10,000 servers ÷ req/s at 100        (goal ≥ 0.7)
//   framework: req/s at 1,000 servers ÷ bare Hono req/s      (goal ≥ 0.5)
//   p99 at 10,000 servers, 10 connections                     (goal < 20 ms)
// Last line: JSON result. (PostgreSQL, one replica vs two: replicas.bench.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { createApp } from '../src/server/app.ts';
import { CONNECTIONS, DURATION_S, KEY, addServers, bareSessionApp, benchConfigYaml, cannon, describe, listen, warmUp } from './session-cannon.ts';
import type { Result } from './session-cannon.ts';

const SIZES = [100, 1000, 10_000] as const;

async function measure(servers: number): Promise<Result & { leftover: number }> {
  const cfgDir = mkdtempSync(join(tmpdir(), 'poolform-bench-cfg-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'poolform-bench-state-'));
  try {
    writeFileSync(join(cfgDir, 'bench.yaml'), benchConfigYaml(servers));
    const loaded = await loadConfig(cfgDir);
    if (!loaded.config) throw new Error(`bench config invalid: ${JSON.stringify(loaded.diagnostics)}`);
    const config = loaded.config;
    const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
    await addServers(store, servers);
    const app = createApp({ store, getConfig: () => config, env: { BENCH_API_KEY: KEY } });
    const real = await listen(app.fetch);
    await warmUp(real.url);
    const r = await cannon(real.url, `poolform api, ${servers} servers`);
    const leftover = (await store.listSessions({ status: ['running'] })).length;
    await new Promise<void>((res) => real.server.close(() => res()));
    await store.close();
    return { ...r, leftover };
  } finally {
    rmSync(cfgDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const baseline = await listen(bareSessionApp().fetch);

  process.stdout.write(`session create+delete on SQLite, ${SIZES.join(' / ')} servers in state, ${CONNECTIONS} connections, ${DURATION_S}s each\n`);
  let base = await cannon(baseline.url, 'bare hono');
  process.stdout.write(describe('bare hono handler', base));

  // Each size twice, in rising then falling order, keeping the better run of each: on a shared
  // machine a burst of other load otherwise lands on one size and reads as a trend.
  const runs = new Map<number, Result & { leftover: number }>();
  for (const size of [...SIZES, ...[...SIZES].reverse()]) {
    const r = await measure(size);
    const prev = runs.get(size);
    // The better rate, and the lower CPU per request, of the two runs.
    const cpuBest = Math.min(r.cpuUsPerRequest ?? Infinity, prev?.cpuUsPerRequest ?? Infinity);
    runs.set(size, { ...(!prev || r.rps > prev.rps ? r : prev), cpuUsPerRequest: cpuBest });
    process.stdout.write(describe(`poolform api, ${String(size).padStart(6)} servers`, r) + `  sessions left running: ${r.leftover}\n`);
  }
  const base2 = await cannon(baseline.url, 'bare hono');
  process.stdout.write(describe('bare hono handler', base2));
  base = { ...(base2.rps > base.rps ? base2 : base), cpuUsPerRequest: Math.min(base.cpuUsPerRequest ?? Infinity, base2.cpuUsPerRequest ?? Infinity) };
  await new Promise<void>((r) => baseline.server.close(() => r()));
  const at = (size: number): Result & { leftover: number } => runs.get(size) ?? { rps: 0, pairsPerSec: 0, p50: 0, p99: 0, non2xx: 0, errors: 0, leftover: 0 };
  const flat = at(100).rps > 0 ? at(10_000).rps / at(100).rps : 0;
  const framework = base.rps > 0 ? at(1000).rps / base.rps : 0;
  process.stdout.write(`flat in pool size: req/s at 10,000 ÷ at 100 = ${flat.toFixed(3)} (goal ≥ 0.7)\n`);
  process.stdout.write(`close to the framework: req/s at 1,000 ÷ bare Hono = ${framework.toFixed(3)} (goal ≥ 0.5)\n`);
  process.stdout.write(`p99 at 10,000 servers, ${CONNECTIONS} connections: ${at(10_000).p99} ms (goal < 20 ms)\n`);
  // The same two ratios from CPU time per request (server + load generator, one thread): what the
  // rates would be on an idle machine, and steady where req/s swing with other load on a shared one.
  const cpu = (r: Result): number => r.cpuUsPerRequest ?? 0;
  const cpuFlat = cpu(at(10_000)) > 0 ? cpu(at(100)) / cpu(at(10_000)) : 0;
  const cpuFramework = cpu(at(1000)) > 0 ? cpu(base) / cpu(at(1000)) : 0;
  process.stdout.write(
    `CPU per request: bare ${cpu(base).toFixed(0)} µs; api ${SIZES.map((n) => `${n}: ${cpu(at(n)).toFixed(0)} µs`).join(', ')}\n` +
      `  as throughput ratios: flat ${cpuFlat.toFixed(3)}, framework ${cpuFramework.toFixed(3)}\n`,
  );

  const perSize: Record<string, number> = {};
  for (const size of SIZES) {
    const r = at(size);
    perSize[`api_${size}_rps`] = Math.round(r.rps);
    perSize[`api_${size}_p50_ms`] = r.p50;
    perSize[`api_${size}_p99_ms`] = r.p99;
    perSize[`api_${size}_non2xx`] = r.non2xx;
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'api',
      backend: 'sqlite',
      sizes: SIZES,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      bare_rps: Math.round(base.rps),
      bare_p50_ms: base.p50,
      bare_p99_ms: base.p99,
      ...perSize,
      bare_cpu_us_per_request: Math.round(cpu(base)),
      ...Object.fromEntries(SIZES.map((n) => [`api_${n}_cpu_us_per_request`, Math.round(cpu(at(n)))])),
      cpu_flat_ratio_10000_vs_100: Number(cpuFlat.toFixed(4)),
      cpu_framework_ratio_1000: Number(cpuFramework.toFixed(4)),
      flat_ratio_10000_vs_100: Number(flat.toFixed(4)),
      framework_ratio_1000: Number(framework.toFixed(4)),
      p99_10000_ms: at(10_000).p99,
      // Kept from the one-size bench: the 1,000-server run against bare Hono.
      throughput_ratio: Number(framework.toFixed(4)),
    })}\n`,
  );
}

await main();
