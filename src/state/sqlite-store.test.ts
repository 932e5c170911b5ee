import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.ts';
import { newLockInfo } from './lock-holder.ts';
import { createSqliteStore, SQLITE_FILE_NAME } from './sqlite-store.ts';
import { defineStoreSuite, makeServer } from './store-suite.ts';
import { runChild, startChild } from './testdata/children.ts';
import { LockHeldError, type StateStore } from './types.ts';

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
  }, 60_000);

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
  }, 60_000);
});
