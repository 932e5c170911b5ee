// Route wiring of the API (app.ts and its route modules) with an in-memory
// store and a config built in code: every route answers JSON, refuses without
// a key or a config as documented, and tells the daemon about queue events.
// The full behaviour is in test/serve-api.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import type { Config } from '../config/model.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import type { StateStore } from '../state/types.ts';
import { createApp } from './app.ts';

const KEY = 'unit-test-api-key-0123456789';
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

function config(): Config {
  const c = makeConfig({ pools: [serverPool('desktops', [{ connection_type: 'rdp', connection_port: 3389 }])] });
  c.settings.api_keys = [{ name: 'portal', secret: '${env:API_KEY}' }];
  return c;
}

async function app(getConfig: () => Config | undefined = config) {
  store = await createSqliteStore({ path: ':memory:' });
  const events: string[] = [];
  const a = createApp({ store, getConfig, clock: () => Date.parse('2026-01-05T12:00:00Z'), env: { API_KEY: KEY }, onQueueEvent: (r) => events.push(r) });
  return { app: a, events };
}

const auth = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };

describe('API routes', () => {
  it('health needs nothing; unknown paths are JSON 404s', async () => {
    const { app: a } = await app();
    expect((await a.request('/healthz')).status).toBe(200);
    const res = await a.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('session routes want an API key', async () => {
    const { app: a } = await app();
    for (const [method, path] of [
      ['POST', '/api/v1/sessions'],
      ['GET', '/api/v1/sessions/x'],
      ['DELETE', '/api/v1/sessions/x'],
      ['POST', '/api/v1/sessions/x/keepalive'],
    ] as const) {
      const res = await a.request(path, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/json');
    }
  });

  it('without a loaded config, session requests are 503 not_ready', async () => {
    const { app: a } = await app(() => undefined);
    const res = await a.request('/api/v1/sessions', { method: 'POST', headers: auth, body: JSON.stringify({ pool: 'desktops', user: 'alice' }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'not_ready' });
  });

  it('an unknown pool is 404 unknown_pool; an unknown session 404', async () => {
    const { app: a } = await app();
    const res = await a.request('/api/v1/sessions', { method: 'POST', headers: auth, body: JSON.stringify({ pool: 'nope', user: 'alice' }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'unknown_pool' });
    expect((await a.request('/api/v1/sessions/missing', { headers: auth })).status).toBe(404);
    expect((await a.request('/api/v1/sessions/missing/keepalive', { method: 'POST', headers: auth })).status).toBe(404);
  });

  it('with no server (and no aggressive scaling) a request is refused with 503 JSON and nothing is queued', async () => {
    const { app: a, events } = await app();
    const res = await a.request('/api/v1/sessions', { method: 'POST', headers: auth, body: JSON.stringify({ pool: 'desktops', user: 'alice' }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(events).toEqual([]);
  });

  it('a check-in without a valid token is 401 JSON', async () => {
    const { app: a } = await app();
    const res = await a.request('/api/set_server_status?token=not-a-jwt', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"status":"running"}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('status answers with the pools of the config', async () => {
    const { app: a } = await app();
    const res = await a.request('/api/v1/status', { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { pools?: { name: string }[] };
    expect(body.pools?.map((p) => p.name)).toContain('desktops');
  });
});
