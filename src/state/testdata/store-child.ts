// A child process for cross-process store tests: opens the store named on the
// command line and allocates or locks, printing one JSON line with the outcome.
//   node store-child.ts sqlite|postgres TARGET allocate START_AT_MS COUNT PREFIX
//   node store-child.ts sqlite|postgres TARGET lock START_AT_MS HOLD_MS
//   node store-child.ts sqlite|postgres TARGET hold-forever
//   node store-child.ts postgres URL migrate START_AT_MS
import { createPostgresDriver, createPostgresStore } from '../postgres-store.ts';
import { createSqliteStore } from '../sqlite-store.ts';
import { MIGRATIONS, migrate } from '../migrations.ts';
import { newLockInfo } from '../lock-holder.ts';
import { hasRoom } from '../placement.ts';
import { LockHeldError, type PlacementChooser, type StateStore } from '../types.ts';

const [backend = '', target = '', mode = '', ...rest] = process.argv.slice(2);

async function waitUntil(ms: number): Promise<void> {
  const delay = ms - Date.now();
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
}

const leastLoaded: PlacementChooser = (candidates, request) => {
  const fits = candidates.filter((c) => hasRoom(c, request.resources));
  fits.sort((a, b) => a.sessions.length - b.sessions.length);
  return fits[0]?.server.id ?? null;
};

function open(): Promise<StateStore> {
  return backend === 'postgres' ? createPostgresStore({ url: target }) : createSqliteStore({ path: target });
}

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

if (mode === 'migrate') {
  // Migrations with a slow extra one, so that racing processes overlap.
  const driver = createPostgresDriver({ url: target });
  await waitUntil(Number(rest[0]));
  const applied = await migrate(driver, [
    ...MIGRATIONS,
    { version: 1000, name: 'slow test migration', sql: 'SELECT pg_sleep(0.3); CREATE TABLE slow_test (x INTEGER);' },
  ]);
  await driver.close();
  out({ applied });
} else if (mode === 'allocate') {
  const store = await open();
  await waitUntil(Number(rest[0]));
  const count = Number(rest[1]);
  const prefix = rest[2] ?? 'p';
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      store.allocateSession(
        { id: `${prefix}-${i}`, pool: 'desktops', user: `u${i}`, zone: null, workspace: null, resources: null, api_key: null, now: new Date().toISOString() },
        leastLoaded,
        { onNoCapacity: 'reject' },
      ),
    ),
  );
  await store.close();
  out({ placed: results.filter((r) => r.outcome === 'placed').length, rejected: results.filter((r) => r.outcome === 'rejected').length });
} else if (mode === 'lock') {
  const store = await open();
  await waitUntil(Number(rest[0]));
  const lock = newLockInfo('apply');
  try {
    await store.acquireLock(lock, { waitMs: 0 });
  } catch (err) {
    await store.close();
    out({ got: false, holder: err instanceof LockHeldError ? err.holder.id : String(err) });
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, Number(rest[1])));
  await store.releaseLock(lock.id);
  await store.close();
  out({ got: true, id: lock.id });
} else if (mode === 'hold-forever') {
  const store = await open();
  const lock = newLockInfo('apply');
  await store.acquireLock(lock, { waitMs: 0 });
  out({ got: true, id: lock.id });
  setInterval(() => undefined, 1000);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
