import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.ts';
import { newLockInfo } from './lock-holder.ts';
import { createSqliteStore, SQLITE_FILE_NAME } from './sqlite-store.ts';
import { at, defineStoreSuite, leastLoaded, makeRequest, makeServer } from './store-suite.ts';
import { SERVER_COLUMNS, SESSION_COLUMNS, serverParams, sessionParams } from './rows.ts';
import { runChild, startChild } from './testdata/children.ts';
import { LockHeldError, type StateStore } from './types.ts';
import { testTimeout } from '../testing/timeouts.ts';

defineStoreSuite('sqlite store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-sqlite-'));
  const path = join(dir, SQLITE_FILE_NAME);
  return {
    store: await createSqliteStore({ path }),
    open: () => createSqliteStore({ path }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('sqlite store specifics', () => {
  let dir: string;
  const open: StateStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'poolform-sqlite-'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  async function storeAt(path: string): Promise<StateStore> {
    const s = await createSqliteStore({ path });
    open.push(s);
    return s;
  }

  it('creates <stateDir>/poolform.db when given a state directory, and keeps data across reopen', async () => {
    const a = await createSqliteStore({ path: dir });
    await a.putServer(makeServer({ id: 's1' }));
    const meta = await a.meta();
    await a.close();
    expect(existsSync(join(dir, 'poolform.db'))).toBe(true);
    const b = await storeAt(join(dir, 'poolform.db'));
    expect(await b.meta()).toEqual(meta);
    expect((await b.getServer('s1'))?.id).toBe('s1');
  });

  it('treats a missing path without an extension as a state directory', async () => {
    await storeAt(join(dir, 'fresh-state'));
    expect(existsSync(join(dir, 'fresh-state', 'poolform.db'))).toBe(true);
    await storeAt(join(dir, 'custom.sqlite'));
    expect(existsSync(join(dir, 'custom.sqlite'))).toBe(true);
  });

  it('creates missing parent directories and uses WAL', async () => {
    const path = join(dir, 'nested', 'deeper', 'poolform.db');
    await storeAt(path);
    const db = new DatabaseSync(path);
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      expect(versions.map((r) => r['version'])).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  it('applies each migration once however often it is opened', async () => {
    const path = join(dir, 'poolform.db');
    await Promise.all([storeAt(path), storeAt(path), storeAt(path)]);
    await storeAt(path);
    const db = new DatabaseSync(path);
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
      expect(db.prepare('SELECT COUNT(*) AS n FROM state_meta').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('reports a lock held by a dead process on this host as stale, at once, and never takes it over', async () => {
    const store = await storeAt(join(dir, 'poolform.db'));
    const holder = startChild(['sqlite', join(dir, 'poolform.db'), 'hold-forever']);
    const { id } = (await holder.firstLine) as { id: string };
    const pid = holder.child.pid!;
    // Alive: not stale.
    const alive = (await store.acquireLock(newLockInfo('plan'), { waitMs: 0 }).catch((e: unknown) => e)) as LockHeldError;
    expect(alive).toBeInstanceOf(LockHeldError);
    expect(alive.stale).toBe(false);
    expect(alive.holder).toMatchObject({ id, pid });
    holder.child.kill('SIGKILL');
    await holder.done.catch(() => undefined);
    const started = Date.now();
    const stale = (await store.acquireLock(newLockInfo('apply'), { waitMs: 10_000 }).catch((e: unknown) => e)) as LockHeldError;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stale).toBeInstanceOf(LockHeldError);
    expect(stale.stale).toBe(true);
    expect(stale.message).toContain('stale');
    expect(stale.message).toContain(`poolform force-unlock ${id}`);
    expect((await store.getLock())?.id).toBe(id);
    expect(await store.forceUnlock(id)).toBe(true);
    await store.acquireLock(newLockInfo('apply'), { waitMs: 0 });
  });

  it('does not call a holder on another host stale', async () => {
    const store = await storeAt(join(dir, 'poolform.db'));
    const lock = { ...newLockInfo('apply'), host: 'some-other-host.example', pid: 999_999 };
    await store.acquireLock(lock, { waitMs: 0 });
    const other = await storeAt(join(dir, 'poolform.db'));
    const err = (await other.acquireLock(newLockInfo('apply'), { waitMs: 0 }).catch((e: unknown) => e)) as LockHeldError;
    expect(err.stale).toBe(false);
  });

  it('separate processes allocating at once never over-allocate', async () => {
    const path = join(dir, 'poolform.db');
    const store = await storeAt(path);
    const limits: Record<string, number> = { s1: 2, s2: 3, s3: 5 };
    for (const [id, max] of Object.entries(limits)) await store.putServer(makeServer({ id, max_sessions: max }));
    const startAt = String(Date.now() + 1500);
    const results = (await Promise.all(
      ['a', 'b', 'c'].map((p) => runChild(['sqlite', path, 'allocate', startAt, '40', p])),
    )) as { placed: number; rejected: number }[];
    expect(results.reduce((n, r) => n + r.placed, 0)).toBe(10);
    expect(results.reduce((n, r) => n + r.rejected, 0)).toBe(110);
    const running = await store.listSessions({ status: ['running'] });
    expect(running).toHaveLength(10);
    for (const [id, max] of Object.entries(limits)) expect(running.filter((s) => s.server_id === id)).toHaveLength(max);
  }, testTimeout(60_000));

  it('separate processes taking the lock at once: exactly one gets it', async () => {
    const path = join(dir, 'poolform.db');
    await storeAt(path);
    const startAt = String(Date.now() + 1500);
    const results = (await Promise.all([0, 1, 2].map(() => runChild(['sqlite', path, 'lock', startAt, '1500'])))) as {
      got: boolean;
      id?: string;
      holder?: string;
    }[];
    const winners = results.filter((r) => r.got);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.got)) expect(r.holder).toBe(winners[0]?.id);
  }, testTimeout(60_000));

  it('stays fast with 10,000 servers and 50,000 sessions (indexes, one read per table)', async () => {
    const path = join(dir, 'poolform.db');
    const store = await storeAt(path);
    // Bulk-load through a side connection in one transaction (the store writes one row per transaction).
    const db = new DatabaseSync(path, { timeout: 15_000 });
    const insServer = db.prepare(`INSERT INTO servers (${SERVER_COLUMNS.join(', ')}) VALUES (${SERVER_COLUMNS.map(() => '?').join(', ')})`);
    const insSession = db.prepare(`INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}) VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})`);
    db.exec('BEGIN');
    for (let i = 0; i < 10_000; i++) insServer.run(...serverParams(makeServer({ id: `s${i}`, max_sessions: 5, created_at: at(i) })));
    for (let i = 0; i < 50_000; i++) {
      insSession.run(
        ...sessionParams({
          id: `x${i}`, pool: 'desktops', user: `u${i}`, zone: null, workspace: null, server_id: `s${i % 10_000}`, status: 'running',
          resources: null, staged: false, staging: null, created_at: at(i), updated_at: at(i), last_keepalive_at: at(20_000 + i),
          ended_at: null, end_reason: null, api_key: null,
        }),
      );
    }
    db.exec('COMMIT');
    db.close();

    let t = performance.now();
    const snap = await store.snapshot();
    const snapshotMs = performance.now() - t;
    expect(snap.servers).toHaveLength(10_000);
    expect(snap.sessions).toHaveLength(50_000);

    t = performance.now();
    // Every server is full: rejected without reading 50,000 sessions.
    expect((await store.allocateSession(makeRequest('new'), leastLoaded, { onNoCapacity: 'queue' })).outcome).toBe('queued');
    expect(await store.queuePosition('new')).toBe(1);
    const allocMs = performance.now() - t;

    t = performance.now();
    const expired = await store.expireSessions(at(20_000 + 3600 + 100), 3600_000, 900_000_000);
    const expireMs = performance.now() - t;
    expect(expired).toHaveLength(100);
    expect(await store.activeSessionCount('s0')).toBe(4);

    // Generous bounds (shared CI machine): they catch a missing index or a per-row query, not jitter.
    expect(snapshotMs).toBeLessThan(10_000);
    expect(allocMs).toBeLessThan(2_000);
    expect(expireMs).toBeLessThan(3_000);
  }, testTimeout(120_000));
});

describe('sqlite store open errors', () => {
  it('says which file cannot be opened when it is not a database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-sqlite-'));
    try {
      const path = join(dir, 'poolform.db');
      writeFileSync(path, 'this is not a database, just some text long enough to fill a header page...'.repeat(20));
      const err = await createSqliteStore({ path }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'state-open-failed' });
      expect((err as Error).message).toContain(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite state file permissions', () => {
  it('keeps the database (it holds the check-in signing key) readable by its owner only', async () => {
    const { mkdtemp, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = `${await mkdtemp(`${tmpdir()}/pf-perm-`)}/state`;
    const store = await createSqliteStore({ path: dir });
    await store.getOrCreateSecret('checkin-signing-key', () => 'k');
    await store.close();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(`${dir}/poolform.db`)).mode & 0o777).toBe(0o600);
  });
});
