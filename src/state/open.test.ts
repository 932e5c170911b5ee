import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings } from '../config/model.ts';
import { describeStore, openStore, redactDatabaseUrl, resolveDatabaseUrl, resolveStateDir, stateBackend } from './open.ts';

const settings = (state: Settings['state']): Settings => ({ kind: 'Settings', state });

describe('resolveStateDir', () => {
  it('prefers --state, then Settings.state.path, then ./state, relative to cwd', () => {
    expect(resolveStateDir({ cwd: '/work', settings: undefined })).toBe('/work/state');
    expect(resolveStateDir({ cwd: '/work', settings: settings({ path: 'data/pf' }) })).toBe('/work/data/pf');
    expect(resolveStateDir({ cwd: '/work', settings: settings({ path: '/var/lib/pf' }) })).toBe('/var/lib/pf');
    expect(resolveStateDir({ cwd: '/work', settings: settings({ path: 'data/pf' }), stateDir: 'other' })).toBe('/work/other');
  });
});

describe('backend selection', () => {
  it('is sqlite unless Settings.state.backend is postgres', () => {
    expect(stateBackend(undefined)).toBe('sqlite');
    expect(stateBackend(settings({ backend: 'sqlite' }))).toBe('sqlite');
    expect(stateBackend(settings({ backend: 'postgres', url: 'x' }))).toBe('postgres');
  });

  it('resolves the postgres URL from its secret reference and never prints the password', () => {
    const opts = { settings: settings({ backend: 'postgres', url: '${env:DB_URL}' }), env: { DB_URL: 'postgres://u:s3cret@db:5432/pf' }, cwd: '/' };
    expect(resolveDatabaseUrl(opts)).toBe('postgres://u:s3cret@db:5432/pf');
    expect(describeStore(opts)).toBe('postgres postgres://db:5432/pf');
    expect(redactDatabaseUrl('not a url')).not.toContain('not a url');
  });

  it('names the unset reference, and a missing url, in its errors', async () => {
    const unset = { settings: settings({ backend: 'postgres', url: '${env:DB_URL}' }), env: {}, cwd: '/' };
    await expect(openStore(unset)).rejects.toMatchObject({ code: 'secret-unresolved', message: expect.stringContaining('${env:DB_URL}') });
    const missing = { settings: settings({ backend: 'postgres' }), env: {}, cwd: '/' };
    await expect(openStore(missing)).rejects.toMatchObject({ code: 'state-config' });
  });
});

describe('openStore (sqlite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'poolform-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens <state dir>/poolform.db', async () => {
    const store = await openStore({ settings: undefined, env: {}, cwd: dir });
    await store.close();
    expect(existsSync(join(dir, 'state', 'poolform.db'))).toBe(true);
    expect(describeStore({ env: {}, cwd: dir })).toBe(`sqlite ${join(dir, 'state', 'poolform.db')}`);
  });
});
