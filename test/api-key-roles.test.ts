// Issue 12 defect 7: any API key could read, keep alive and end any other
// key's sessions. Keys have roles: `sessions` (default) sees only the
// sessions it created (another key's is 404, like a missing one); `admin`
// sees all, and /api/v1/status needs an admin key once one is configured.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/model.ts';
import { createApp } from '../src/server/app.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { StateStore } from '../src/state/types.ts';
import { serverRecord } from './fixtures/plan/builders.ts';
import { runCli } from './fixtures/plan/harness.ts';

const ENV = { KEY_A: 'key-a-Secret-1', KEY_B: 'key-b-Secret-2', KEY_ADMIN: 'key-admin-Secret-3' };

const stores: StateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

type Key = { name: string; secret: string; role?: 'sessions' | 'admin' };

async function harness(keys: Key[]): Promise<{ app: Hono; store: StateStore }> {
  // Built directly (not loaded from YAML): these tests are about the API, not the loader.
  const config = {
    dir: '/cfg',
    settings: { kind: 'Settings', api_keys: keys },
    zones: [],
    vmProviders: [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: 5, startup_script: 'true' }],
    dnsProviders: [],
    ldapConfigs: [],
    workspaces: [],
    pools: [
      {
        kind: 'Pool',
        name: 'desktops',
        type: 'server',
        autoscale: [
          { name: 'day', vm_provider: 'local', connection_type: 'rdp', connection_port: 3389, max_simultaneous_sessions_per_server: 5, reusable: true },
        ],
      },
    ],
    sources: {},
  } as unknown as Config;
  const store = await createSqliteStore({ path: ':memory:' });
  stores.push(store);
  await store.putServer(serverRecord('srv-1', { max_sessions: 5 }));
  return { app: createApp({ store, getConfig: () => config, env: ENV }), store };
}

const auth = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' });

async function requestSession(app: Hono, key: string, user: string): Promise<string> {
  const res = await app.request('/api/v1/sessions', { method: 'POST', headers: auth(key), body: JSON.stringify({ pool: 'desktops', user }) });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const KEYS: Key[] = [
  { name: 'portal-a', secret: '${env:KEY_A}' },
  { name: 'portal-b', secret: '${env:KEY_B}', role: 'sessions' },
  { name: 'ops', secret: '${env:KEY_ADMIN}', role: 'admin' },
];

describe('API key roles', () => {
  it("a sessions key cannot read, keep alive or end another key's session (404); its own it can", async () => {
    const { app, store } = await harness(KEYS);
    const id = await requestSession(app, ENV.KEY_A, 'alice');
    for (const [method, path] of [
      ['GET', `/api/v1/sessions/${id}`],
      ['POST', `/api/v1/sessions/${id}/keepalive`],
      ['DELETE', `/api/v1/sessions/${id}`],
    ] as const) {
      const other = await app.request(path, { method, headers: auth(ENV.KEY_B) });
      expect(other.status, `${method} ${path}`).toBe(404);
      expect(((await other.json()) as { error: string }).error).toBe('unknown_session');
    }
    expect((await store.getSession(id))?.status).toBe('running');
    expect((await app.request(`/api/v1/sessions/${id}`, { headers: auth(ENV.KEY_A) })).status).toBe(200);
    expect((await app.request(`/api/v1/sessions/${id}/keepalive`, { method: 'POST', headers: auth(ENV.KEY_A) })).status).toBe(200);
  });

  it('an admin key reads and ends any session', async () => {
    const { app, store } = await harness(KEYS);
    const id = await requestSession(app, ENV.KEY_A, 'alice');
    expect((await app.request(`/api/v1/sessions/${id}`, { headers: auth(ENV.KEY_ADMIN) })).status).toBe(200);
    expect((await app.request(`/api/v1/sessions/${id}`, { method: 'DELETE', headers: auth(ENV.KEY_ADMIN) })).status).toBe(200);
    expect((await store.getSession(id))?.status).toBe('ended');
  });

  it('with an admin key configured, /api/v1/status needs it (401 without a key, 403 for a sessions key)', async () => {
    const { app } = await harness(KEYS);
    expect((await app.request('/api/v1/status')).status).toBe(401);
    expect((await app.request('/api/v1/status', { headers: auth(ENV.KEY_A) })).status).toBe(403);
    expect((await app.request('/api/v1/status', { headers: auth(ENV.KEY_ADMIN) })).status).toBe(200);
  });

  it('without any admin key, status stays readable without a key (as before roles)', async () => {
    const { app } = await harness([{ name: 'portal-a', secret: '${env:KEY_A}' }]);
    expect((await app.request('/api/v1/status')).status).toBe(200);
  });
});

describe('GET /api/v1/sessions and `poolform sessions --api`', () => {
  it('lists what the key may see; the CLI lists and ends sessions through a running serve', async () => {
    const { app, store } = await harness(KEYS);
    const mine = await requestSession(app, ENV.KEY_A, 'alice');
    const theirs = await requestSession(app, ENV.KEY_B, 'bob');
    const list = async (key: string): Promise<string[]> =>
      ((await (await app.request('/api/v1/sessions', { headers: auth(key) })).json()) as { sessions: { id: string }[] }).sessions.map((x) => x.id);
    expect(await list(ENV.KEY_A)).toEqual([mine]);
    expect(await list(ENV.KEY_ADMIN)).toEqual([mine, theirs]);
    expect((await app.request('/api/v1/sessions')).status).toBe(401);
    expect((await app.request('/api/v1/sessions?status=bogus', { headers: auth(ENV.KEY_A) })).status).toBe(400);

    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const listed = await runCli(['sessions', 'list', '--api', url, '--json'], { env: { POOLFORM_API_KEY: ENV.KEY_ADMIN } });
      expect(listed.code, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as { id: string }[]).map((x) => x.id)).toEqual([mine, theirs]);
      const ended = await runCli(['sessions', 'end', theirs, '--api', url], { env: { POOLFORM_API_KEY: ENV.KEY_ADMIN } });
      expect(ended.code, ended.stderr).toBe(0);
      expect(ended.stdout).toContain(`Session ${theirs} ended (deleted)`);
      expect((await store.getSession(theirs))?.status).toBe('ended');
      // A sessions key cannot end another key's session: the API's 404, with the code.
      const refused = await runCli(['sessions', 'end', mine, '--api', url], { env: { POOLFORM_API_KEY: ENV.KEY_B } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^poolform sessions end: error \[api-request-failed\]: DELETE .*: 404 unknown_session/m);
      const noKey = await runCli(['sessions', 'list', '--api', url], { env: { POOLFORM_API_KEY: undefined } });
      expect(noKey.stderr).toMatch(/error \[usage\]: --api needs the API key/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
