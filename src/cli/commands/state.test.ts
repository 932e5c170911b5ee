// `poolform state ...` and `poolform force-unlock` through main(), on a real SQLite state.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requirePostgres, startPostgres, type PostgresServer } from '../../../test/support/postgres.ts';
import { createPostgresStore } from '../../state/postgres-store.ts';
import { createSqliteStore } from '../../state/sqlite-store.ts';
import { at, makeRequest, makeResource, makeServer } from '../../state/store-suite.ts';
import { newLockInfo } from '../../state/lock-holder.ts';
import type { StateStore } from '../../state/types.ts';
import { type CliResult, runMain } from '../../../test/support/cli.ts';
import { testTimeout } from '../../testing/timeouts.ts';

let dir: string;
let stateDir: string;

async function withStore<T>(fn: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await createSqliteStore({ path: join(stateDir, 'poolform.db') });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function run(args: string[], cwd = dir, env: Record<string, string> = {}): Promise<CliResult> {
  return runMain(args, { cwd, env });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'poolform-cli-state-'));
  stateDir = join(dir, 'state');
  await withStore(async (store) => {
    await store.putResource(
      makeResource('vm.desktops.aws.s1', {
        provider_id: 'i-0abc',
        attributes: { instance_type: 't3.large', admin_password: 'hunter2', nested: { api_token: 'tok-123' } },
      }),
    );
    await store.putResource(makeResource('vm.desktops.aws.s2'));
    await store.putResource(makeResource('dns.s1.example.com', { type: 'dns_record', attributes: { ip: '10.0.0.1' } }));
    await store.putResource(makeResource('server.lab.fixed1', { type: 'server', provider: null, provider_id: null, attributes: {} }));
    await store.putServer(makeServer({ id: 's1', max_sessions: 2 }));
    await store.putServer(makeServer({ id: 's2' }));
    await store.allocateSession(makeRequest('sess-1'), () => 's1', { onNoCapacity: 'reject' });
    await store.putIntent({ id: 'intent-s2', address: 'vm.desktops.aws.s2', type: 'vm', payload: { password: 'p4ss' }, created_at: at(1) });
    await store.appendAudit([{ at: at(2), actor: 'cli', action: 'create', address: 'vm.desktops.aws.s1', reason: 'min', detail: { secret_key: 'sk' } }]);
    await store.getOrCreateSecret('checkin-signing-key', () => 'THE-SIGNING-KEY');
  });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('poolform state list', () => {
  it('lists every address, sorted', async () => {
    const r = await run(['state', 'list', '--state', stateDir]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('dns.s1.example.com\nserver.lab.fixed1\nvm.desktops.aws.s1\nvm.desktops.aws.s2\n');
  });

  it('filters by address prefix', async () => {
    const r = await run(['state', 'list', '--state', stateDir, 'vm.desktops', 'dns.s1.example.com']);
    expect(r.out).toBe('dns.s1.example.com\nvm.desktops.aws.s1\nvm.desktops.aws.s2\n');
    expect((await run(['state', 'list', '--state', stateDir, 'vm.desk'])).out).toBe('');
  });

  it('finds ./state by default, relative to the working directory', async () => {
    const r = await run(['state', 'list']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toContain('vm.desktops.aws.s1');
  });

  it('reads Settings.state.path from --config DIR', async () => {
    const config = join(dir, 'config');
    const other = join(dir, 'elsewhere');
    await (async () => {
      const s = await createSqliteStore({ path: other });
      await s.putResource(makeResource('vm.other.aws.x'));
      await s.close();
    })();
    mkdirSync(config);
    writeFileSync(join(config, 'settings.yaml'), `kind: Settings\nstate:\n  path: ${other}\n`);
    const r = await run(['state', 'list', '--config', config]);
    expect(r.err).toBe('');
    expect(r.out).toBe('vm.other.aws.x\n');
    // --state wins over Settings.state.path.
    expect((await run(['state', 'list', '--config', config, '--state', stateDir])).out).toContain('vm.desktops.aws.s1');
  });

  it('loads the working directory as the config when it holds YAML; --state bypasses an invalid one', async () => {
    const cwd = join(dir, 'repo');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'settings.yaml'), `kind: Settings\nstate:\n  path: ${stateDir}\n`);
    const implicit = await run(['state', 'list'], cwd);
    expect(implicit.err).toBe('');
    expect(implicit.out).toContain('vm.desktops.aws.s1');
    writeFileSync(join(cwd, 'settings.yaml'), 'kind: Settings\nstate: [not, a, mapping]\n');
    const broken = await run(['state', 'list'], cwd);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('has errors');
    const explicit = await run(['state', 'list', '--state', stateDir], cwd);
    expect(explicit.code).toBe(0);
    expect(explicit.out).toContain('vm.desktops.aws.s1');
  });

  it('fails with the diagnostics when --config DIR is invalid', async () => {
    const config = join(dir, 'bad');
    mkdirSync(config);
    writeFileSync(join(config, 'settings.yaml'), 'kind: Settings\nstate:\n  backend: mysql\n');
    const r = await run(['state', 'list', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/configuration in .* has errors/);
    expect(r.err).toContain('settings.yaml');
  });

  it('names the missing secret reference when the postgres URL is unset', async () => {
    const config = join(dir, 'pg');
    mkdirSync(config);
    writeFileSync(join(config, 'settings.yaml'), 'kind: Settings\nstate:\n  backend: postgres\n  url: ${env:POOLFORM_DATABASE_URL}\n');
    const r = await run(['state', 'list', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('${env:POOLFORM_DATABASE_URL}');
  });
});

describe('missing state', () => {
  it('is reported, never created, by the state commands and force-unlock', async () => {
    const nowhere = join(dir, 'typo-state');
    const list = await run(['state', 'list', '--state', nowhere]);
    expect(list).toMatchObject({ code: 0, out: '' });
    expect(list.err).toContain(`no state at ${join(nowhere, 'poolform.db')}`);
    for (const args of [
      ['state', 'show', 'x'],
      ['state', 'rm', 'x'],
      ['state', 'pull'],
      ['force-unlock', 'some-id'],
    ]) {
      const r = await run([...args, '--state', nowhere]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('no state at');
    }
    expect(existsSync(nowhere)).toBe(false);
  });
});

describe('poolform state show', () => {
  it('shows a resource with its server, redacting secret-looking attributes', async () => {
    const r = await run(['state', 'show', '--state', stateDir, 'vm.desktops.aws.s1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('# vm.desktops.aws.s1');
    expect(r.out).toMatch(/provider_id\s+= i-0abc/);
    expect(r.out).toMatch(/instance_type\s+= "t3.large"/);
    expect(r.out).toMatch(/admin_password\s+= "\(sensitive\)"/);
    expect(r.out).toContain('# server s1');
    expect(r.out).toMatch(/sessions\s+= 1 active \/ 2 max/);
    expect(r.out).not.toContain('hunter2');
    expect(r.out).not.toContain('tok-123');
  });

  it('prints JSON with --json', async () => {
    const r = await run(['state', 'show', '--state', stateDir, '--json', 'vm.desktops.aws.s1']);
    const parsed = JSON.parse(r.out) as { address: string; attributes: Record<string, unknown>; servers: { id: string; active_sessions: number }[] };
    expect(parsed.address).toBe('vm.desktops.aws.s1');
    expect(parsed.attributes['admin_password']).toBe('(sensitive)');
    expect(parsed.attributes['nested']).toEqual({ api_token: '(sensitive)' });
    expect(parsed.servers).toMatchObject([{ id: 's1', active_sessions: 1 }]);
  });

  it('fails for an unknown address', async () => {
    const r = await run(['state', 'show', '--state', stateDir, 'vm.nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no resource at vm.nope');
  });
});

describe('poolform state rm', () => {
  it('forgets a resource, its server and its intent, and records an audit entry', async () => {
    const before = await withStore((s) => s.meta());
    const r = await run(['state', 'rm', '--state', stateDir, 'vm.desktops.aws.s2']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Removed vm.desktops.aws.s2');
    expect(r.out).toContain('Nothing was destroyed');
    await withStore(async (store) => {
      expect(await store.getResource('vm.desktops.aws.s2')).toBeUndefined();
      expect(await store.getServer('s2')).toBeUndefined();
      expect(await store.listIntents()).toEqual([]);
      expect(await store.getResource('vm.desktops.aws.s1')).toBeDefined();
      expect((await store.meta()).serial).toBeGreaterThan(before.serial);
      const [audit] = await store.listAudit(1);
      expect(audit).toMatchObject({ actor: 'cli', action: 'state-rm', address: 'vm.desktops.aws.s2' });
      expect(await store.getLock()).toBeUndefined();
    });
  });

  it('removes nothing when any address is unknown', async () => {
    const r = await run(['state', 'rm', '--state', stateDir, 'vm.desktops.aws.s2', 'vm.nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('vm.nope');
    await withStore(async (store) => expect(await store.getResource('vm.desktops.aws.s2')).toBeDefined());
  });

  it('refuses while another process holds the lock, saying who', async () => {
    const lock = { ...newLockInfo('apply'), host: hostname() };
    await withStore((s) => s.acquireLock(lock, { waitMs: 0 }));
    const r = await run(['state', 'rm', '--state', stateDir, 'vm.desktops.aws.s2']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('state is locked by apply');
    expect(r.err).toContain(lock.id);
    await withStore(async (store) => expect(await store.getResource('vm.desktops.aws.s2')).toBeDefined());
  });
});

describe('poolform state pull', () => {
  it('prints the whole state as JSON with secrets redacted', async () => {
    const r = await run(['state', 'pull', '--state', stateDir]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    const meta = await withStore((s) => s.meta());
    expect(doc).toMatchObject({ format_version: '1', lineage: meta.lineage, serial: meta.serial, lock: null });
    expect((doc['resources'] as unknown[]).length).toBe(4);
    expect((doc['servers'] as unknown[]).length).toBe(2);
    expect(doc['sessions']).toMatchObject([{ id: 'sess-1', server_id: 's1' }]);
    expect(doc['intents']).toMatchObject([{ id: 'intent-s2', payload: { password: '(sensitive)' } }]);
    expect(doc['audit']).toMatchObject([{ action: 'create', detail: { secret_key: '(sensitive)' } }]);
    for (const secret of ['hunter2', 'tok-123', 'p4ss', '"sk"', 'THE-SIGNING-KEY']) expect(r.out).not.toContain(secret);
  });
});

describe('poolform force-unlock', () => {
  it('removes a stale lock by id and records it', async () => {
    const lock = { ...newLockInfo('apply'), pid: 2 ** 22 + 12345 };
    await withStore((s) => s.acquireLock(lock, { waitMs: 0 }));
    const r = await run(['force-unlock', '--state', stateDir, lock.id]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Lock ${lock.id} removed`);
    await withStore(async (store) => {
      expect(await store.getLock()).toBeUndefined();
      expect((await store.listAudit(1))[0]).toMatchObject({ action: 'force-unlock', detail: { id: lock.id, operation: 'apply' } });
    });
  });

  it('fails for an unknown id and says who holds the lock', async () => {
    const lock = newLockInfo('apply');
    await withStore((s) => s.acquireLock(lock, { waitMs: 0 }));
    const r = await run(['force-unlock', '--state', stateDir, 'wrong-id']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no lock with id wrong-id');
    expect(r.err).toContain(lock.id);
    expect((await run(['force-unlock', '--state', stateDir, lock.id])).code).toBe(0);
    const none = await run(['force-unlock', '--state', stateDir, lock.id]);
    expect(none.err).toContain('not locked');
  });
});

describe.skipIf(!requirePostgres())('state commands on the PostgreSQL backend', () => {
  let pg: PostgresServer;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it(
    'reads Settings.state (backend postgres, url from the environment) and force-unlocks',
    async () => {
      const url = await pg.createDatabase();
      const store = await createPostgresStore({ url });
      const lock = newLockInfo('apply');
      try {
        await store.putResource(makeResource('vm.desktops.aws.pg1'));
        await store.acquireLock(lock, { waitMs: 0 });
      } finally {
        await store.close(); // the holder goes away; its row stays behind
      }
      const config = join(dir, 'pgconfig');
      mkdirSync(config);
      writeFileSync(join(config, 'settings.yaml'), 'kind: Settings\nstate:\n  backend: postgres\n  url: ${env:POOLFORM_DATABASE_URL}\n');
      const env = { POOLFORM_DATABASE_URL: url };
      const list = await run(['state', 'list', '--config', config], dir, env);
      expect(list.err).toBe('');
      expect(list.out).toBe('vm.desktops.aws.pg1\n');
      const pull = await run(['state', 'pull', '--config', config], dir, env);
      expect(JSON.parse(pull.out)).toMatchObject({ lock: null, resources: [{ address: 'vm.desktops.aws.pg1' }] });
      const rm = await run(['state', 'rm', '--config', config, 'vm.desktops.aws.pg1'], dir, env);
      expect(rm.code).toBe(0);
      expect((await run(['state', 'list', '--config', config], dir, env)).out).toBe('');
    },
    testTimeout(60_000),
  );

  it(
    'force-unlock ends a live holder on PostgreSQL',
    async () => {
      const url = await pg.createDatabase();
      const holder = await createPostgresStore({ url });
      const lock = newLockInfo('apply');
      await holder.acquireLock(lock, { waitMs: 0 });
      try {
        const config = join(dir, 'pgconfig2');
        mkdirSync(config);
        writeFileSync(join(config, 'settings.yaml'), 'kind: Settings\nstate:\n  backend: postgres\n  url: ${env:DB}\n');
        const locked = await run(['state', 'rm', '--config', config, 'x'], dir, { DB: url });
        expect(locked.err).toContain(lock.id);
        const r = await run(['force-unlock', '--config', config, lock.id], dir, { DB: url });
        expect(r.code).toBe(0);
        expect(r.out).toContain('terminated');
        expect(await holder.getLock()).toBeUndefined();
      } finally {
        await holder.close();
      }
    },
    testTimeout(60_000),
  );
});
