// Session API throughput: each virtual user creates a session
// (POST /api/v1/sessions) and ends it (DELETE /api/v1/sessions/:id), against
// the real app on a real SQLite state file holding 1,000 running servers.
// Baseline in the same run: a bare Hono handler doing the same two requests
// with no work behind them. Then, where PostgreSQL is installed, the same on
// a PostgreSQL state: one replica vs two replicas (two apps, each with its own
// connection pool, load split between them). Loopback only, in-process
// servers on free ports, bounded durations. Last line: JSON result.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { loadConfig } from '../src/config/load.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { createApp } from '../src/server/app.ts';
import type { Config } from '../src/config/model.ts';
import { createPostgresStore } from '../src/state/postgres-store.ts';
import type { StateStore } from '../src/state/types.ts';
import { postgresAvailable, startPostgres } from '../test/support/postgres.ts';

const SERVERS = 1000;
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5);
const CONNECTIONS = 10;
const KEY = 'bench-key-0123456789abcdef';

async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve({ server: s as Server, url: `http://127.0.0.1:${info.port}` }));
  });
}

interface Result {
  rps: number;
  pairsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Runs one autocannon per URL at once (connections split evenly) and merges: rates add up, p50 averages, p99 is the worst. */
async function cannonAll(urls: readonly string[], title: string): Promise<Result> {
  const parts = await Promise.all(urls.map((u, i) => cannon(u, `${title} #${i + 1}`, Math.max(1, Math.round(CONNECTIONS / urls.length)))));
  return {
    rps: parts.reduce((n, r) => n + r.rps, 0),
    pairsPerSec: parts.reduce((n, r) => n + r.pairsPerSec, 0),
    p50: parts.reduce((n, r) => n + r.p50, 0) / parts.length,
    p99: Math.max(...parts.map((r) => r.p99)),
    non2xx: parts.reduce((n, r) => n + r.non2xx, 0),
    errors: parts.reduce((n, r) => n + r.errors, 0),
  };
}

async function cannon(url: string, title: string, connections = CONNECTIONS): Promise<Result> {
  const r = await autocannon({
    url,
    title,
    connections,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/api/v1/sessions',
        body: JSON.stringify({ pool: 'bench', user: 'bench-user' }),
        onResponse: (status, body, context) => {
          const ctx = context as { id?: string };
          ctx.id = status === 201 ? String((JSON.parse(body) as { id?: unknown }).id) : undefined;
        },
      },
      {
        method: 'DELETE',
        setupRequest: (req, context) => {
          const id = (context as { id?: string }).id;
          // No session: skip the delete and start over.
          return id ? { ...req, path: `/api/v1/sessions/${id}` } : (undefined as unknown as typeof req);
        },
      },
    ],
  });
  return {
    rps: r.requests.average,
    pairsPerSec: r.requests.average / 2,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

async function addServers(store: StateStore): Promise<void> {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  for (let i = 0; i < SERVERS; i++) {
    const at = new Date(t0 + i * 1000).toISOString();
    const id = `bench${String(i).padStart(5, '0')}`;
    await store.putServer({
      id, pool: 'bench', autoscale: 'a', address: `vm.bench.a.${id}`, hostname: id, ip: '127.0.0.1', connection_type: 'rdp', connection_port: 3389,
      status: 'running', status_message: '', status_progress: 100, max_sessions: 2, reusable: true, capacity: null, enabled: true,
      created_at: at, updated_at: at, checked_in_at: at,
    });
  }
}

interface PgResult {
  one: Result;
  two: Result;
}

/** One replica vs two on PostgreSQL; null when PostgreSQL is not installed here. */
async function postgresRun(config: Config): Promise<PgResult | null> {
  if (!postgresAvailable()) {
    process.stdout.write('postgres: not installed here, replica comparison skipped\n');
    return null;
  }
  const server = await startPostgres();
  try {
    const url = await server.createDatabase();
    const a = await createPostgresStore({ url });
    const b = await createPostgresStore({ url });
    try {
      await addServers(a);
      const appA = await listen(createApp({ store: a, getConfig: () => config, env: { BENCH_API_KEY: KEY } }).fetch);
      const appB = await listen(createApp({ store: b, getConfig: () => config, env: { BENCH_API_KEY: KEY } }).fetch);
      const one = await cannonAll([appA.url], 'pg 1 replica');
      process.stdout.write(`postgres, 1 replica : ${one.rps.toFixed(0)} req/s, p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99} ms, non-2xx ${one.non2xx}\n`);
      const two = await cannonAll([appA.url, appB.url], 'pg 2 replicas');
      process.stdout.write(`postgres, 2 replicas: ${two.rps.toFixed(0)} req/s, p50 ${two.p50.toFixed(1)} ms, p99 ${two.p99} ms, non-2xx ${two.non2xx}\n`);
      await new Promise<void>((r) => appA.server.close(() => r()));
      await new Promise<void>((r) => appB.server.close(() => r()));
      return { one, two };
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const cfgDir = mkdtempSync(join(tmpdir(), 'poolform-bench-cfg-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'poolform-bench-state-'));
  writeFileSync(
    join(cfgDir, 'bench.yaml'),
    `kind: Settings
api_keys:
  - name: bench
    secret: \${env:BENCH_API_KEY}
---
kind: VmProvider
name: local
type: local
max_instances: ${SERVERS}
startup_script: "true"
---
kind: Pool
name: bench
type: server
autoscale:
  - name: a
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    connection_username: "{sso_username}"
`,
  );
  const loaded = await loadConfig(cfgDir);
  if (!loaded.config) throw new Error(`bench config invalid: ${JSON.stringify(loaded.diagnostics)}`);
  const config = loaded.config;
  const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
  await addServers(store);
  const app = createApp({ store, getConfig: () => config, env: { BENCH_API_KEY: KEY } });
  const real = await listen(app.fetch);

  const bare = new Hono();
  let n = 0;
  bare.post('/api/v1/sessions', (c) => c.json({ id: `s${++n}`, status: 'running' }, 201));
  bare.delete('/api/v1/sessions/:id', (c) => c.json({ id: c.req.param('id'), status: 'ended' }));
  const baseline = await listen(bare.fetch);

  process.stdout.write(`session create+delete, ${SERVERS} servers in state, ${CONNECTIONS} connections, ${DURATION_S}s each\n`);
  const base = await cannon(baseline.url, 'bare hono');
  process.stdout.write(`bare hono handler : ${base.rps.toFixed(0)} req/s (${base.pairsPerSec.toFixed(0)} create+delete/s), p50 ${base.p50} ms, p99 ${base.p99} ms\n`);
  const api = await cannon(real.url, 'poolform api');
  process.stdout.write(`poolform api      : ${api.rps.toFixed(0)} req/s (${api.pairsPerSec.toFixed(0)} create+delete/s), p50 ${api.p50} ms, p99 ${api.p99} ms, non-2xx ${api.non2xx}, errors ${api.errors}\n`);
  const leftover = (await store.listSessions({ status: ['running'] })).length;
  const ratio = base.rps > 0 ? api.rps / base.rps : 0;
  process.stdout.write(`throughput ratio api/bare: ${ratio.toFixed(3)}; sessions left running: ${leftover}\n`);

  await new Promise<void>((r) => real.server.close(() => r()));
  await new Promise<void>((r) => baseline.server.close(() => r()));
  await store.close();
  let pgRun: PgResult | null = null;
  try {
    pgRun = await postgresRun(config);
  } catch (err) {
    process.stdout.write(`postgres run failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
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
      pg_1_replica_rps: pgRun ? Math.round(pgRun.one.rps) : null,
      pg_1_replica_p99_ms: pgRun ? pgRun.one.p99 : null,
      pg_2_replicas_rps: pgRun ? Math.round(pgRun.two.rps) : null,
      pg_2_replicas_p99_ms: pgRun ? pgRun.two.p99 : null,
      pg_2_vs_1_throughput_ratio: pgRun && pgRun.one.rps > 0 ? Number((pgRun.two.rps / pgRun.one.rps).toFixed(3)) : null,
    })}\n`,
  );
}

await main();
