// Issue 12, "sessions from the CLI": `poolform sessions list|end` and
// `poolform servers list|drain|undrain` against the state, so an operator can
// empty a server before maintenance without curl.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { serverRecord, session } from './fixtures/plan/builders.ts';
import { runCli } from './fixtures/plan/harness.ts';

let root: string;
let state: string;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'poolform-ops-'));
  state = join(root, 'state');
  const store = await createSqliteStore({ path: state });
  await store.putServer(serverRecord('srv-a', { pool: 'desktops' }));
  await store.putServer(serverRecord('srv-b', { pool: 'labs', autoscale: null, address: 'server.labs.b1', reusable: false }));
  await store.putSession(session('s-1', 'srv-a', { pool: 'desktops', user: 'alice', api_key: 'portal', created_at: '2026-01-01T00:00:01.000Z' }));
  await store.putSession(session('s-2', 'srv-b', { pool: 'labs', user: 'bob', created_at: '2026-01-01T00:00:02.000Z' }));
  await store.putSession(session('s-3', null, { pool: 'desktops', user: 'carol', created_at: '2026-01-01T00:00:03.000Z' }));
  await store.close();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli([...args, '--state', state], { cwd: root });

describe('poolform sessions', () => {
  it('list shows running and queued sessions, filters by pool, and prints JSON', async () => {
    const all = await cli('sessions', 'list');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/^ID\s+POOL\s+STATUS\s+SERVER\s+USER/);
    expect(all.stdout).toMatch(/s-1\s+desktops\s+running\s+srv-a\s+alice\s+portal/);
    expect(all.stdout).toMatch(/s-3\s+desktops\s+queued\s+-\s+carol/);
    const pool = await cli('sessions', 'list', '--pool', 'labs');
    expect(pool.stdout).toContain('s-2');
    expect(pool.stdout).not.toContain('s-1');
    const json = JSON.parse((await cli('sessions', 'list', '--json', '--pool', 'desktops')).stdout) as { id: string; status: string }[];
    expect(json.map((s) => [s.id, s.status])).toEqual([
      ['s-1', 'running'],
      ['s-3', 'queued'],
    ]);
  });

  it('end ends a session (a single-use server is retired); a second end says so; an unknown id is an error with its code', async () => {
    const r = await cli('sessions', 'end', 's-2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Session s-2 (running in pool labs on srv-b) ended.');
    const store = await createSqliteStore({ path: state });
    expect((await store.getSession('s-2'))?.status).toBe('ended');
    await store.close();
    expect((await cli('sessions', 'end', 's-2')).stdout).toContain('already ended');
    const missing = await cli('sessions', 'end', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^poolform sessions end: error \[session-not-found\]: no session with id nope/m);
    expect((await cli('sessions', 'list', '--all')).stdout).toMatch(/s-2\s+labs\s+ended/);
  });
});

describe('poolform servers', () => {
  it('drain takes a server out of placement (sessions continue); undrain brings it back; list shows it', async () => {
    const drained = await cli('servers', 'drain', 'srv-a');
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain('Server srv-a (desktops) is drained: no new sessions; 1 session still on it.');
    let store = await createSqliteStore({ path: state });
    expect((await store.getServer('srv-a'))?.enabled).toBe(false);
    expect((await store.getSession('s-1'))?.status).toBe('running');
    // Placement skips it: a request for the pool finds no usable server.
    const result = await store.allocateSession(
      { id: 's-new', pool: 'desktops', user: 'dave', zone: null, workspace: null, resources: null, api_key: null, now: new Date().toISOString() },
      (candidates) => candidates[0]?.server.id ?? null,
      { onNoCapacity: 'reject' },
    );
    expect(result.outcome).toBe('rejected');
    expect((await store.listAudit(5)).some((a) => a.action === 'server-drain')).toBe(true);
    await store.close();

    const list = await cli('servers', 'list');
    expect(list.stdout).toMatch(/srv-a\s+desktops\s+day\s+\S+\s+running\s+1\/2\s+no \(drained\)/);
    expect(list.stdout).toMatch(/srv-b\s+labs\s+\(fixed\)/);
    expect((await cli('servers', 'drain', 'srv-a')).stdout).toContain('already drained');

    expect((await cli('servers', 'undrain', 'srv-a')).code).toBe(0);
    store = await createSqliteStore({ path: state });
    expect((await store.getServer('srv-a'))?.enabled).toBe(true);
    await store.close();
    const missing = await cli('servers', 'drain', 'nope');
    expect(missing.stderr).toMatch(/^poolform servers drain: error \[server-not-found\]/m);
  });

  it('list says a draining server takes no new sessions, though it is still enabled (e.g. after `destroy` drained it)', async () => {
    const store = await createSqliteStore({ path: state });
    await store.putServer(serverRecord('srv-c', { pool: 'desktops', status: 'draining' }));
    await store.close();
    const list = await cli('servers', 'list');
    expect(list.stdout).toMatch(/srv-c\s+desktops\s+day\s+\S+\s+draining\s+0\/2\s+no \(draining\)/);
    expect(list.stdout).toMatch(/srv-a\s+desktops\s+day\s+\S+\s+running\s+1\/2\s+yes/);
  });

  it('list tells a server disabled in the configuration (enabled: false) from one drained by hand', async () => {
    const store = await createSqliteStore({ path: state });
    await store.putServer(serverRecord('fixed.labs.kiosk', { pool: 'labs', autoscale: null, address: 'server.labs.kiosk', enabled: false }));
    await store.putResource({
      address: 'server.labs.kiosk',
      type: 'server',
      provider: null,
      provider_id: null,
      attributes: { pool: 'labs', name: 'kiosk', enabled: false },
      status: 'created',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    await store.close();
    expect((await cli('servers', 'drain', 'srv-b')).code).toBe(0);
    const list = await cli('servers', 'list', '--pool', 'labs');
    expect(list.stdout).toMatch(/fixed\.labs\.kiosk\s.*no \(disabled in config\)/);
    expect(list.stdout).toMatch(/srv-b\s.*no \(drained\)/);
  });
});
