// Session throughput and p99 on a PostgreSQL state: one replica vs two, in
// the same run (issue 8). Each replica is its own Node process (this script
// re-run with --worker) serving the real session API against one database
// that holds 1,000 running servers; the load (create + delete a session per
// virtual user, autocannon, loopback) is split evenly between the replicas.
// The replicas run the API only, not the reconcile loop (it would add the
// same background work to both runs). Prints a ratio, never pass/fail.
// Without PostgreSQL installed it says so and reports nulls.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.ts';
import { createApp } from '../src/server/app.ts';
import { createPostgresStore } from '../src/state/postgres-store.ts';
import { postgresAvailable, startPostgres } from '../test/support/postgres.ts';
import { CONNECTIONS, DURATION_S, KEY, addServers, benchConfigYaml, cannonAll, describe, listen } from './session-cannon.ts';
import type { Result } from './session-cannon.ts';

const SERVERS = 1000;
const SELF = fileURLToPath(import.meta.url);

/** Worker mode: serve the session API on a free port against POOLFORM_DATABASE_URL until SIGTERM. */
async function worker(cfgDir: string): Promise<void> {
  const loaded = await loadConfig(cfgDir);
  if (!loaded.config) throw new Error('bench config invalid');
  const config = loaded.config;
  const store = await createPostgresStore({ url: process.env['POOLFORM_DATABASE_URL'] ?? '' });
  const { server, url } = await listen(createApp({ store, getConfig: () => config, env: { BENCH_API_KEY: KEY } }).fetch);
  process.stdout.write(`READY ${url}\n`);
  process.once('SIGTERM', () => {
    server.close(() => void store.close().finally(() => process.exit(0)));
  });
}

async function startWorker(cfgDir: string, dbUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [SELF, '--worker', cfgDir], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', POOLFORM_DATABASE_URL: dbUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('replica did not start within 30 s')), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited early (${code})`));
    });
  });
  return { child, url };
}

async function stopWorker(w: { child: ChildProcess }): Promise<void> {
  if (w.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => w.child.once('exit', () => r()));
  w.child.kill('SIGTERM');
  await exited;
}

async function runWith(replicas: number, cfgDir: string, dbUrl: string): Promise<Result> {
  const workers = [];
  try {
    for (let i = 0; i < replicas; i++) workers.push(await startWorker(cfgDir, dbUrl));
    return await cannonAll(workers.map((w) => w.url), `postgres ${replicas} replica(s)`);
  } finally {
    for (const w of workers) await stopWorker(w);
  }
}

async function main(): Promise<void> {
  if (!postgresAvailable()) {
    process.stdout.write('postgres: not installed here (apt-get install postgresql), replica comparison skipped\n');
    process.stdout.write(`${JSON.stringify({ bench: 'replicas', skipped: 'postgresql not installed', pg_2_vs_1_throughput_ratio: null, pg_2_vs_1_p99_ratio: null })}\n`);
    return;
  }
  const cfgDir = mkdtempSync(join(tmpdir(), 'poolform-bench-replicas-'));
  writeFileSync(join(cfgDir, 'bench.yaml'), benchConfigYaml(SERVERS));
  const pg = await startPostgres();
  try {
    const dbUrl = await pg.createDatabase();
    const seed = await createPostgresStore({ url: dbUrl });
    await addServers(seed, SERVERS);
    await seed.close();
    process.stdout.write(`postgres state, ${SERVERS} servers, session create+delete, ${CONNECTIONS} connections split over the replicas, ${DURATION_S}s each\n`);
    const one = await runWith(1, cfgDir, dbUrl);
    process.stdout.write(describe('1 replica ', one));
    const two = await runWith(2, cfgDir, dbUrl);
    process.stdout.write(describe('2 replicas', two));
    const throughput = one.rps > 0 ? two.rps / one.rps : null;
    const p99 = one.p99 > 0 ? two.p99 / one.p99 : null;
    process.stdout.write(`two vs one replica: throughput ×${throughput?.toFixed(2) ?? '?'}, p99 ×${p99?.toFixed(2) ?? '?'}\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'replicas',
        servers: SERVERS,
        connections: CONNECTIONS,
        duration_s: DURATION_S,
        pg_1_replica_rps: Math.round(one.rps),
        pg_1_replica_p50_ms: one.p50,
        pg_1_replica_p99_ms: one.p99,
        pg_1_replica_non2xx: one.non2xx,
        pg_2_replicas_rps: Math.round(two.rps),
        pg_2_replicas_p50_ms: two.p50,
        pg_2_replicas_p99_ms: two.p99,
        pg_2_replicas_non2xx: two.non2xx,
        pg_2_vs_1_throughput_ratio: throughput === null ? null : Number(throughput.toFixed(3)),
        pg_2_vs_1_p99_ratio: p99 === null ? null : Number(p99.toFixed(3)),
      })}\n`,
    );
  } finally {
    await pg.stop();
    rmSync(cfgDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') await worker(process.argv[3] ?? '.');
else await main();
