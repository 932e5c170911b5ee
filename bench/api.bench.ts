// Session API throughput: each virtual user creates a session
// (POST /api/v1/sessions) and ends it (DELETE /api/v1/sessions/:id), against
// the real app on a real SQLite state file holding 1,000 running servers.
// Baseline in the same run: a bare Hono handler doing the same two requests
// with no work behind them. Loopback only, in-process servers on free ports,
// bounded durations. Last line: JSON result. (PostgreSQL, one replica vs two:
// replicas.bench.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { loadConfig } from '../src/config/load.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { createApp } from '../src/server/app.ts';
import { CONNECTIONS, DURATION_S, KEY, addServers, benchConfigYaml, cannon, describe, listen } from './session-cannon.ts';

const SERVERS = 1000;

async function main(): Promise<void> {
  const cfgDir = mkdtempSync(join(tmpdir(), 'poolform-bench-cfg-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'poolform-bench-state-'));
  writeFileSync(join(cfgDir, 'bench.yaml'), benchConfigYaml(SERVERS));
  const loaded = await loadConfig(cfgDir);
  if (!loaded.config) throw new Error(`bench config invalid: ${JSON.stringify(loaded.diagnostics)}`);
  const config = loaded.config;
  const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
  await addServers(store, SERVERS);
  const app = createApp({ store, getConfig: () => config, env: { BENCH_API_KEY: KEY } });
  const real = await listen(app.fetch);

  const bare = new Hono();
  let n = 0;
  bare.post('/api/v1/sessions', (c) => c.json({ id: `s${++n}`, status: 'running' }, 201));
  bare.delete('/api/v1/sessions/:id', (c) => c.json({ id: c.req.param('id'), status: 'ended' }));
  const baseline = await listen(bare.fetch);

  process.stdout.write(`session create+delete, ${SERVERS} servers in state, ${CONNECTIONS} connections, ${DURATION_S}s each\n`);
  const base = await cannon(baseline.url, 'bare hono');
  process.stdout.write(describe('bare hono handler', base));
  const api = await cannon(real.url, 'poolform api');
  process.stdout.write(describe('poolform api (sqlite)', api));
  const leftover = (await store.listSessions({ status: ['running'] })).length;
  const ratio = base.rps > 0 ? api.rps / base.rps : 0;
  process.stdout.write(`throughput ratio api/bare: ${ratio.toFixed(3)}; sessions left running: ${leftover}\n`);

  await new Promise<void>((r) => real.server.close(() => r()));
  await new Promise<void>((r) => baseline.server.close(() => r()));
  await store.close();
  rmSync(cfgDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({
      bench: 'api',
      servers: SERVERS,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      api_rps: Math.round(api.rps),
      api_pairs_per_s: Math.round(api.pairsPerSec),
      api_p50_ms: api.p50,
      api_p99_ms: api.p99,
      api_non2xx: api.non2xx,
      bare_rps: Math.round(base.rps),
      bare_p50_ms: base.p50,
      bare_p99_ms: base.p99,
      throughput_ratio: Number(ratio.toFixed(4)),
      p99_ratio: base.p99 > 0 ? Number((api.p99 / base.p99).toFixed(2)) : null,
    })}\n`,
  );
}

await main();
