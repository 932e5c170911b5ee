// Starts a throwaway PostgreSQL server for a test suite: initdb into a temp
// directory, `postgres` on 127.0.0.1 at a free port (socket in the temp dir),
// one database created; stopped by pid and the directory removed afterwards.
// initdb and postgres refuse to run as root, so as root they run as the
// `postgres` system user (setpriv, which execs: the pid we hold is the server's).
// With CI=true a missing PostgreSQL makes the suite fail; elsewhere the suite
// skips with an install hint.
//
// Usage in a suite:
//   const run = requirePostgres();                 // decided synchronously
//   describe.skipIf(!run)('...', () => {
//     let pg: PostgresServer;
//     beforeAll(async () => { pg = await startPostgres(); });
//     afterAll(async () => { await pg?.stop(); });
//     it('...', async () => { const url = await pg.createDatabase(); ... });
//   });
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, tailOutput, waitUntilReady } from './net.ts';

export const POSTGRES_INSTALL_HINT = 'apt-get install postgresql (Debian/Ubuntu), or set PG_BIN to the directory holding initdb and postgres';

export interface PostgresServer {
  /** URL of the database created at start (user `poolform`, trust auth on loopback). */
  url: string;
  /** URL of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  /** Creates another empty database and returns its URL (fresh state per test). */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The directory with initdb and postgres: $PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function findPostgresBin(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const has = (dir: string): boolean => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const fromEnv = env['PG_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return has(fromEnv) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = join(root, v, 'bin');
    if (has(dir)) return dir;
  }
  return undefined;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the postgres system user's ids; otherwise undefined (run as ourselves). */
function runAs(): RunAs | undefined | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** True when a PostgreSQL server can be started here. */
export function postgresAvailable(): boolean {
  return findPostgresBin() !== undefined && runAs() !== null;
}

/**
 * Whether a PostgreSQL suite should run. With CI=true a missing PostgreSQL
 * throws (the suite fails); elsewhere it says why it skips and returns false.
 */
export function requirePostgres(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (postgresAvailable()) return true;
  const why =
    findPostgresBin(env) === undefined
      ? 'PostgreSQL (initdb, postgres) is not installed'
      : 'running as root but there is no `postgres` system user to run the server as';
  if (env['CI'] === 'true') throw new Error(`${why} but CI=true: ${POSTGRES_INSTALL_HINT}`);
  console.warn(`skipping PostgreSQL tests: ${why} (${POSTGRES_INSTALL_HINT})`);
  return false;
}

/** Command and arguments, wrapped to run as the postgres user when we are root. */
function command(as: RunAs | undefined, file: string, args: string[]): [string, string[]] {
  if (!as) return [file, args];
  return ['setpriv', [`--reuid=${as.uid}`, `--regid=${as.gid}`, '--clear-groups', '--', file, ...args]];
}

const SERVER_ENV = { LC_ALL: 'C', LANG: 'C', PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

/** A probe for waitUntilReady: the server accepts a connection and answers a query. */
function acceptsQueries(adminUrl: string): () => Promise<boolean> {
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

export interface StartPostgresOptions {
  /** Name of the database created at start (default `poolform_test`). */
  database?: string;
  timeoutMs?: number;
}

let databaseCounter = 0;

/** Starts PostgreSQL on a free loopback port and creates a database. Throws when PostgreSQL is missing. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`PostgreSQL is not installed: ${POSTGRES_INSTALL_HINT}`);
  const as = runAs();
  if (as === null) throw new Error('running as root but there is no `postgres` system user to run the server as');

  const dir = mkdtempSync(join(tmpdir(), 'poolform-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(data, as.uid, as.gid);
  }
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });

  const [initCmd, initArgs] = command(as, join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'poolform',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', env: SERVER_ENV, timeout: 120_000 });
  if (init.status !== 0) {
    cleanup();
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr || init.stdout}`);
  }

  let lastError: unknown;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const [cmd, args] = command(as, join(bin, 'postgres'), [
      '-D',
      data,
      '-k',
      dir,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      // A throwaway server: durability is not needed, speed is.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=300',
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: SERVER_ENV });
    const output = tailOutput(child);
    const pid = child.pid;
    if (pid === undefined) {
      cleanup();
      throw new Error(`could not start ${join(bin, 'postgres')}`);
    }
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const adminUrl = `postgres://poolform@127.0.0.1:${port}/postgres`;
    try {
      await waitUntilReady(acceptsQueries(adminUrl), { child, output, timeoutMs: options.timeoutMs ?? 60_000, what: 'postgres' });
    } catch (error) {
      lastError = error;
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      await exited;
      continue;
    }

    const createDatabase = async (name?: string): Promise<string> => {
      const db = name ?? `poolform_${process.pid}_${++databaseCounter}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`invalid database name ${db}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${db}`);
      } finally {
        await client.end();
      }
      return `postgres://poolform@127.0.0.1:${port}/${db}`;
    };

    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT: "fast shutdown" (disconnects clients, exits cleanly).
        process.kill(pid, 'SIGINT');
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
        }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    };

    try {
      const url = await createDatabase(options.database ?? 'poolform_test');
      return { url, adminUrl, port, pid, createDatabase, stop };
    } catch (error) {
      await stop();
      throw error;
    }
  }
  cleanup();
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
