// The HTTP API through `app.request`, against a real SQLite store (in memory)
// and a real loaded configuration. A fake clock drives token expiry and time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sign } from 'hono/jwt';
import type { Hono } from 'hono';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { ServerRecord, SessionRecord, StateStore } from '../src/state/types.ts';
import { CHECKIN_KEY_NAME, generateSigningKey, signCheckinToken } from '../src/auth/checkin-token.ts';
import { createApp } from '../src/server/app.ts';
import { serverRecord } from './fixtures/plan/builders.ts';
import type { ServeStatus } from '../src/server/types.ts';

const KEY = 'test-api-key-0123456789';
// Real time: hono's verify also checks exp and iat against the wall clock.
const T0 = Math.floor(Date.now() / 1000) * 1000;
const HOUR = 3_600_000;

const CONFIG = `
kind: Settings
api_keys:
  - name: portal
    secret: \${env:TEST_API_KEY}
---
kind: Zone
name: east
---
kind: VmProvider
name: local
type: local
max_instances: 5
startup_script: "echo {server_id}"
---
kind: Workspace
name: chrome
image: kasmweb/chrome
cores: 2
memory_mb: 2048
---
kind: Pool
name: desktops
type: server
autoscale:
  - name: day
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    connection_username: svc
    connection_password: \${env:DESKTOP_PASSWORD}
    max_simultaneous_sessions_per_server: 2
    reusable: true
---
kind: Pool
name: burst
type: server
autoscale:
  - name: ondemand
    vm_provider: local
    aggressive_scaling: true
    connection_type: rdp
    connection_port: 3389
---
kind: Pool
name: sso
type: server
servers:
  - name: ws1
    hostname: ws1.corp.example.com
    connection_type: rdp
    connection_port: 3389
    connection_username: "{sso_username}"
    connection_password: "{sso_cred}"
---
kind: Pool
name: containers
type: docker_agent
autoscale:
  - name: agents
    vm_provider: local
staging:
  - name: warm
    workspace: chrome
    autoscale: agents
    num_sessions: 1
`;

let dir: string;
let config: Config;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'poolform-api-'));
  writeFileSync(join(dir, 'pools.yaml'), CONFIG);
  const loaded = await loadConfig(dir);
  if (!loaded.config) throw new Error(`fixture config invalid: ${JSON.stringify(loaded.diagnostics, null, 2)}`);
  config = loaded.config;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Harness {
  app: Hono;
  store: StateStore;
  now: { ms: number };
  queueEvents: string[];
  checkins: string[];
  signingKey: string;
}

async function harness(status?: ServeStatus): Promise<Harness> {
  const store = await createSqliteStore({ path: ':memory:' });
  const now = { ms: T0 };
  const queueEvents: string[] = [];
  const checkins: string[] = [];
  const app = createApp({
    store,
    getConfig: () => config,
    clock: () => now.ms,
    env: { TEST_API_KEY: KEY, DESKTOP_PASSWORD: 'hunter2' },
    onQueueEvent: (r) => queueEvents.push(r),
    onCheckin: (id) => checkins.push(id),
    getStatus: () => status,
  });
  const signingKey = await store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey);
  return { app, store, now, queueEvents, checkins, signingKey };
}

let serverSeq = 0;
async function addServer(store: StateStore, over: Partial<ServerRecord> = {}): Promise<ServerRecord> {
  serverSeq++;
  const id = over.id ?? `srv-${serverSeq}`;
  const created = new Date(T0 - 1000 * (1000 - serverSeq)).toISOString();
  const server = serverRecord(id, { hostname: `host-${id}`, created_at: created, updated_at: created, checked_in_at: created, ...over });
  await store.putServer(server);
  return server;
}

function auth(key = KEY): Record<string, string> {
  return { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
}

async function post(app: Hono, path: string, body: unknown, headers: Record<string, string> = auth()): Promise<Response> {
  return app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function expectError(body: Record<string, unknown>, error: string): void {
  expect(body['error']).toBe(error);
  expect(typeof body['message']).toBe('string');
}

describe('health and errors', () => {
  it('GET /healthz answers ok', async () => {
    const { app } = await harness();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('unknown endpoints are JSON 404s', async () => {
    const { app } = await harness();
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expectError(await json(res), 'not_found');
  });

  it('a failure of ours is a 500 without internals', async () => {
    const { store } = await harness();
    const broken: StateStore = { ...store, getServer: () => Promise.reject(new Error('SECRET-db-password at /var/lib/x')) };
    const app = createApp({ store: broken, getConfig: () => config, env: { TEST_API_KEY: KEY } });
    const token = await signCheckinToken(await store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey), 'srv-x', Date.now(), HOUR);
    const res = await post(app, `/api/set_server_status?token=${token}`, { status: 'running' }, {});
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('SECRET');
    expect(JSON.parse(text)).toMatchObject({ error: 'internal' });
  });

  it('without a valid config the session API says not_ready (503)', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    const app = createApp({ store, getConfig: () => undefined });
    const res = await post(app, '/api/v1/sessions', { pool: 'desktops', user: 'u' });
    expect(res.status).toBe(503);
    expectError(await json(res), 'not_ready');
  });
});

describe('POST /api/set_server_status (check-in)', () => {
  let h: Harness;
  let server: ServerRecord;
  beforeEach(async () => {
    h = await harness();
    server = await addServer(h.store, { status: 'starting', status_progress: 0, checked_in_at: null });
  });

  const body = { status: 'running', status_message: 'Initialization Complete', status_progress: '100' };

  async function unchanged(): Promise<void> {
    const s = await h.store.getServer(server.id);
    expect(s?.status).toBe('starting');
    expect(s?.checked_in_at).toBeNull();
  }

  it('running with a valid token makes the server usable', async () => {
    const token = await signCheckinToken(h.signingKey, server.id, h.now.ms, 4 * HOUR);
    const res = await post(h.app, `/api/set_server_status?token=${token}`, body, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ ok: true, server_id: server.id, status: 'running', status_progress: 100 });
    const s = await h.store.getServer(server.id);
    expect(s?.status).toBe('running');
    expect(s?.status_message).toBe('Initialization Complete');
    expect(s?.checked_in_at).toBe(new Date(T0).toISOString());
    expect(h.checkins).toEqual([server.id]);
    const audit = await h.store.listAudit(10);
    expect(audit.some((a) => a.action === 'checkin' && a.address === server.address)).toBe(true);
  });

  it('starting stores progress; failed marks the server failed', async () => {
    const token = await signCheckinToken(h.signingKey, server.id, h.now.ms, 4 * HOUR);
    let res = await post(h.app, `/api/set_server_status?token=${token}`, { status: 'starting', status_message: 'installing', status_progress: '40' });
    expect(res.status).toBe(200);
    let s = await h.store.getServer(server.id);
    expect(s).toMatchObject({ status: 'starting', status_progress: 40, status_message: 'installing' });
    res = await post(h.app, `/api/set_server_status?token=${token}`, { status: 'failed', status_message: 'disk full', status_progress: 40 });
    expect(res.status).toBe(200);
    s = await h.store.getServer(server.id);
    expect(s?.status).toBe('failed');
  });

  it('a draining server stays draining when it checks in', async () => {
    await h.store.putServer({ ...server, status: 'draining' });
    const token = await signCheckinToken(h.signingKey, server.id, h.now.ms, 4 * HOUR);
    const res = await post(h.app, `/api/set_server_status?token=${token}`, body);
    expect(res.status).toBe(200);
    expect((await h.store.getServer(server.id))?.status).toBe('draining');
  });

  it('missing token → 401, nothing changes', async () => {
    const res = await post(h.app, '/api/set_server_status', body);
    expect(res.status).toBe(401);
    expectError(await json(res), 'invalid_token');
    await unchanged();
  });

  it('malformed token → 401', async () => {
    const res = await post(h.app, '/api/set_server_status?token=not.a.jwt', body);
    expect(res.status).toBe(401);
    expectError(await json(res), 'invalid_token');
    await unchanged();
  });

  it('forged token (another key) → 401', async () => {
    const token = await signCheckinToken(generateSigningKey(), server.id, h.now.ms, 4 * HOUR);
    const res = await post(h.app, `/api/set_server_status?token=${token}`, body);
    expect(res.status).toBe(401);
    await unchanged();
  });

  it('unsigned (alg none) and wrong-purpose tokens → 401', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const claims = Buffer.from(JSON.stringify({ sub: server.id, purpose: 'checkin', exp: Math.floor(T0 / 1000) + 3600 })).toString('base64url');
    let res = await post(h.app, `/api/set_server_status?token=${header}.${claims}.`, body);
    expect(res.status).toBe(401);
    const wrongPurpose = await sign({ sub: server.id, purpose: 'admin', exp: Math.floor(T0 / 1000) + 3600 }, h.signingKey, 'HS256');
    res = await post(h.app, `/api/set_server_status?token=${wrongPurpose}`, body);
    expect(res.status).toBe(401);
    await unchanged();
  });

  it('expired token → 401', async () => {
    const token = await signCheckinToken(h.signingKey, server.id, h.now.ms - 5 * HOUR, 4 * HOUR);
    const res = await post(h.app, `/api/set_server_status?token=${token}`, body);
    expect(res.status).toBe(401);
    await unchanged();
  });

  it("another server's token → 401 (unknown server, or not the server named)", async () => {
    const other = await signCheckinToken(h.signingKey, 'srv-gone', h.now.ms, 4 * HOUR);
    let res = await post(h.app, `/api/set_server_status?token=${other}`, body);
    expect(res.status).toBe(401);
    const second = await addServer(h.store, { status: 'starting', checked_in_at: null });
    const secondToken = await signCheckinToken(h.signingKey, second.id, h.now.ms, 4 * HOUR);
    res = await post(h.app, `/api/set_server_status?token=${secondToken}&server_id=${server.id}`, body);
    expect(res.status).toBe(401);
    res = await post(h.app, `/api/set_server_status?token=${secondToken}`, { ...body, server_id: server.id });
    expect(res.status).toBe(401);
    await unchanged();
    expect((await h.store.getServer(second.id))?.status).toBe('starting');
  });

  it('bad bodies → 400/413 after a valid token, nothing changes', async () => {
    const token = await signCheckinToken(h.signingKey, server.id, h.now.ms, 4 * HOUR);
    const path = `/api/set_server_status?token=${token}`;
    for (const bad of [
      '{not json',
      '[]',
      JSON.stringify({ status: 'exploded' }),
      JSON.stringify({ status: 'running', status_progress: '101' }),
      JSON.stringify({ status: 'running', status_progress: 'x' }),
      JSON.stringify({ status: 'running', status_message: 5 }),
    ]) {
      const res = await post(h.app, path, bad);
      expect(res.status, bad).toBe(400);
      const b = await json(res);
      expect(typeof b['error']).toBe('string');
    }
    const res = await post(h.app, path, JSON.stringify({ status: 'running', status_message: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expectError(await json(res), 'payload_too_large');
    await unchanged();
  });
});

describe('session API authentication and input checks', () => {
  it('missing or wrong API key → 401', async () => {
    const { app } = await harness();
    let res = await post(app, '/api/v1/sessions', { pool: 'desktops', user: 'u' }, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(401);
    expectError(await json(res), 'unauthorized');
    expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
    res = await post(app, '/api/v1/sessions', { pool: 'desktops', user: 'u' }, auth('wrong-key'));
    expect(res.status).toBe(401);
    res = await post(app, '/api/v1/sessions', { pool: 'desktops', user: 'u' }, { Authorization: KEY });
    expect(res.status).toBe(401);
    for (const [method, path] of [
      ['GET', '/api/v1/sessions/x'],
      ['DELETE', '/api/v1/sessions/x'],
      ['POST', '/api/v1/sessions/x/keepalive'],
    ] as const) {
      res = await app.request(path, { method });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });

  it('malformed bodies and wrong types → 400; unknown pool → 404; oversized → 413', async () => {
    const { app } = await harness();
    const cases: [string, number, string][] = [
      ['{"pool": "desktops", ', 400, 'invalid_json'],
      ['"just a string"', 400, 'invalid_body'],
      ['', 400, 'invalid_body'],
      [JSON.stringify({ user: 'u' }), 400, 'invalid_field'],
      [JSON.stringify({ pool: 'desktops' }), 400, 'invalid_field'],
      [JSON.stringify({ pool: 7, user: 'u' }), 400, 'invalid_field'],
      [JSON.stringify({ pool: 'desktops', user: ['u'] }), 400, 'invalid_field'],
      [JSON.stringify({ pool: 'desktops', user: 'u', zone: 3 }), 400, 'invalid_field'],
      [JSON.stringify({ pool: 'desktops', user: 'u', zone: 'mars' }), 400, 'unknown_zone'],
      [JSON.stringify({ pool: 'nope', user: 'u' }), 404, 'unknown_pool'],
      [JSON.stringify({ pool: 'containers', user: 'u' }), 400, 'invalid_field'],
      [JSON.stringify({ pool: 'containers', user: 'u', workspace: 'nope' }), 400, 'unknown_workspace'],
      [JSON.stringify({ pool: 'desktops', user: 'u', pad: 'x'.repeat(65 * 1024) }), 413, 'payload_too_large'],
    ];
    for (const [body, status, error] of cases) {
      const res = await post(app, '/api/v1/sessions', body);
      expect(res.status, body.slice(0, 60)).toBe(status);
      expectError(await json(res), error);
    }
  });
});

describe('sessions: placement, queue, lifecycle', () => {
  it('places on the emptiest server (ties → oldest), returns connection info, spreads evenly', async () => {
    const h = await harness();
    const a = await addServer(h.store);
    const b = await addServer(h.store);
    const res = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'alice' });
    expect(res.status).toBe(201);
    const body = await json(res);
    // Exactly the documented shape, nothing more.
    expect(body).toEqual({
      id: expect.any(String),
      status: 'running',
      pool: 'desktops',
      server: { id: a.id, hostname: a.hostname, port: 3389, connection_type: 'rdp' },
      connection: { username: 'svc', password: 'hunter2' },
      connection_info: {},
    });
    const second = await json(await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'bob' }));
    expect((second['server'] as Record<string, unknown>)['id']).toBe(b.id);
    // alice goes back to her server while it has room
    const again = await json(await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'alice' }));
    expect((again['server'] as Record<string, unknown>)['id']).toBe(a.id);
  });

  it('no capacity without aggressive scaling → 503 no_resources', async () => {
    const h = await harness();
    await addServer(h.store, { max_sessions: 1 });
    expect((await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'a' })).status).toBe(201);
    const res = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'b' });
    expect(res.status).toBe(503);
    expectError(await json(res), 'no_resources');
    expect(h.queueEvents).toEqual([]);
  });

  it('a non-reusable server is drained when its session ends and gets no second session', async () => {
    const h = await harness();
    const srv = await addServer(h.store, { reusable: false, max_sessions: 1 });
    const first = await json(await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'a' }));
    expect((first['server'] as Record<string, unknown>)['id']).toBe(srv.id);
    await h.app.request(`/api/v1/sessions/${String(first['id'])}`, { method: 'DELETE', headers: auth() });
    expect((await h.store.getServer(srv.id))?.status).toBe('draining');
    expect((await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'b' })).status).toBe(503);
  });

  it('servers that are not usable get nothing', async () => {
    const h = await harness();
    await addServer(h.store, { status: 'starting' });
    await addServer(h.store, { status: 'draining' });
    await addServer(h.store, { status: 'failed' });
    await addServer(h.store, { enabled: false });
    expect((await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'a' })).status).toBe(503);
  });

  it('50 concurrent requests against 10 slots → exactly 10 × 201 and 40 × 503, no server over its limit', async () => {
    const h = await harness();
    for (let i = 0; i < 5; i++) await addServer(h.store);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(h.app, '/api/v1/sessions', { pool: 'desktops', user: `user${i}` })));
    const counts = results.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    expect(counts).toEqual({ 201: 10, 503: 40 });
    const sessions = await h.store.listSessions({ pool: 'desktops', status: ['running'] });
    const perServer = new Map<string, number>();
    for (const s of sessions) perServer.set(s.server_id ?? '', (perServer.get(s.server_id ?? '') ?? 0) + 1);
    expect([...perServer.values()].every((n) => n === 2)).toBe(true);
    expect(perServer.size).toBe(5);
  });

  it('aggressive scaling: 202 queued with position, reconcile triggered, placed FIFO when a server checks in', async () => {
    const h = await harness();
    const first = await post(h.app, '/api/v1/sessions', { pool: 'burst', user: 'a' });
    expect(first.status).toBe(202);
    const q1 = await json(first);
    expect(q1).toMatchObject({ status: 'queued', position: 1 });
    expect(typeof q1['message']).toBe('string');
    const q2 = await json(await post(h.app, '/api/v1/sessions', { pool: 'burst', user: 'b' }));
    expect(q2).toMatchObject({ status: 'queued', position: 2 });
    expect(h.queueEvents.length).toBe(2);

    let got = await json(await h.app.request(`/api/v1/sessions/${String(q2['id'])}`, { headers: auth() }));
    expect(got).toMatchObject({ status: 'queued', position: 2, server: null });

    const srv = await addServer(h.store, { pool: 'burst', autoscale: 'ondemand', status: 'starting', max_sessions: 1, checked_in_at: null });
    const token = await signCheckinToken(h.signingKey, srv.id, h.now.ms, 4 * HOUR);
    const res = await post(h.app, `/api/set_server_status?token=${token}`, { status: 'running', status_message: 'ok', status_progress: '100' });
    expect(await json(res)).toMatchObject({ queued_sessions_placed: 1 });

    got = await json(await h.app.request(`/api/v1/sessions/${String(q1['id'])}`, { headers: auth() }));
    expect(got).toMatchObject({ status: 'running', position: null, server: { id: srv.id }, progress: 100 });
    got = await json(await h.app.request(`/api/v1/sessions/${String(q2['id'])}`, { headers: auth() }));
    expect(got).toMatchObject({ status: 'queued', position: 1 });

    // Ending the first frees the slot: the next queued request takes it.
    const del = await h.app.request(`/api/v1/sessions/${String(q1['id'])}`, { method: 'DELETE', headers: auth() });
    expect(del.status).toBe(200);
    got = await json(await h.app.request(`/api/v1/sessions/${String(q2['id'])}`, { headers: auth() }));
    expect(got).toMatchObject({ status: 'running', server: { id: srv.id } });
  });

  it('GET, keepalive and DELETE; expiry gives a clear status', async () => {
    const h = await harness();
    await addServer(h.store);
    const created = await json(await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'a' }));
    const id = String(created['id']);
    let res = await h.app.request(`/api/v1/sessions/${id}`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id, status: 'running', pool: 'desktops', user: 'a', connection: { username: 'svc' } });

    h.now.ms += 10 * 60_000;
    res = await post(h.app, `/api/v1/sessions/${id}/keepalive`, {});
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id, status: 'running', last_keepalive_at: new Date(h.now.ms).toISOString() });

    res = await h.app.request(`/api/v1/sessions/${id}`, { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id, status: 'ended' });
    res = await h.app.request(`/api/v1/sessions/${id}`, { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(200);
    res = await post(h.app, `/api/v1/sessions/${id}/keepalive`, {});
    expect(res.status).toBe(409);
    expectError(await json(res), 'session_ended');

    for (const [method, path] of [
      ['GET', '/api/v1/sessions/nope'],
      ['DELETE', '/api/v1/sessions/nope'],
      ['POST', '/api/v1/sessions/nope/keepalive'],
    ] as const) {
      res = await h.app.request(path, { method, headers: auth() });
      expect(res.status).toBe(404);
      expectError(await json(res), 'unknown_session');
    }

    // Keepalive timeout and queue timeout (enforced by the daemon through expireSessions).
    const idle = await json(await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'idle' }));
    const queued = await json(await post(h.app, '/api/v1/sessions', { pool: 'burst', user: 'q' }));
    h.now.ms += 2 * HOUR;
    await h.store.expireSessions(new Date(h.now.ms).toISOString(), HOUR, 15 * 60_000);
    const idleNow = await json(await h.app.request(`/api/v1/sessions/${String(idle['id'])}`, { headers: auth() }));
    expect(idleNow).toMatchObject({ status: 'ended', end_reason: 'keepalive_timeout' });
    const queuedNow = await json(await h.app.request(`/api/v1/sessions/${String(queued['id'])}`, { headers: auth() }));
    expect(queuedNow).toMatchObject({ status: 'failed', end_reason: 'queue_timeout' });
    expect(String(queuedNow['message'])).toContain('queue_timeout');
  });
});

describe('SSO: {sso_username} and {sso_cred}', () => {
  async function withFixed(): Promise<Harness> {
    const h = await harness();
    await addServer(h.store, {
      id: 'fixed.sso.ws1',
      pool: 'sso',
      autoscale: null,
      address: 'server.sso.ws1',
      hostname: 'ws1.corp.example.com',
      max_sessions: 1,
    });
    return h;
  }

  it('substitutes the user and credential', async () => {
    const h = await withFixed();
    const res = await post(h.app, '/api/v1/sessions', { pool: 'sso', user: 'jdoe', credential: 'Pa55!word' });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ connection: { username: 'jdoe', password: 'Pa55!word' }, server: { id: 'fixed.sso.ws1' } });
  });

  it('without a credential substitutes the user and leaves the password empty (the client asks for it)', async () => {
    const h = await withFixed();
    const res = await post(h.app, '/api/v1/sessions', { pool: 'sso', user: 'jdoe' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({ connection: { username: 'jdoe', password: '' }, server: { id: 'fixed.sso.ws1' } });
    expect(JSON.stringify(body)).not.toContain('{sso_');
    const got = await json(await h.app.request(`/api/v1/sessions/${String(body['id'])}`, { headers: auth() }));
    expect(got).toMatchObject({ connection: { username: 'jdoe', password: '' } });
  });
});

describe('docker agent pools', () => {
  it('hands out a staged session for the workspace before creating one', async () => {
    const h = await harness();
    const agent = await addServer(h.store, { pool: 'containers', autoscale: 'agents', capacity: { cores: 4, memory_mb: 8192, gpus: 0 }, max_sessions: 0 });
    const staged: SessionRecord = {
      id: 'staged-1',
      pool: 'containers',
      user: '',
      zone: null,
      workspace: 'chrome',
      server_id: agent.id,
      status: 'running',
      resources: { cores: 2, memory_mb: 2048, gpus: 0 },
      staged: true,
      staging: 'warm',
      created_at: new Date(T0 - 1000).toISOString(),
      updated_at: new Date(T0 - 1000).toISOString(),
      last_keepalive_at: new Date(T0 - 1000).toISOString(),
      ended_at: null,
      end_reason: null,
      api_key: null,
    };
    await h.store.putSession(staged);
    const first = await json(await post(h.app, '/api/v1/sessions', { pool: 'containers', user: 'a', workspace: 'chrome' }));
    expect(first).toMatchObject({ status: 'running', server: { id: agent.id } });
    // The staged session was handed out: it is gone, its room is the user's session.
    const stagedNow = await h.store.getSession('staged-1');
    expect(stagedNow?.status).toBe('ended');
    expect(stagedNow?.end_reason).toBe(`claimed by ${String(first['id'])}`);
    const running = await h.store.listSessions({ pool: 'containers', status: ['running'] });
    expect(running.map((s) => ({ user: s.user, staged: s.staged }))).toEqual([{ user: 'a', staged: false }]);
    // The agent has 2 cores left: one more fits, then none.
    const second = await post(h.app, '/api/v1/sessions', { pool: 'containers', user: 'b', workspace: 'chrome' });
    expect(second.status).toBe(201);
    expect((await post(h.app, '/api/v1/sessions', { pool: 'containers', user: 'c', workspace: 'chrome' })).status).toBe(503);
  });
});

describe('docker agent pools under concurrency', () => {
  it('concurrent requests never claim one staged session twice nor overfill an agent', async () => {
    const h = await harness();
    const at = new Date(T0 - 1000).toISOString();
    for (const id of ['ag1', 'ag2']) {
      await addServer(h.store, { id, pool: 'containers', autoscale: 'agents', capacity: { cores: 2, memory_mb: 4096, gpus: 0 }, max_sessions: 0 });
      await h.store.putSession({
        id: `staged-${id}`,
        pool: 'containers',
        user: '',
        zone: null,
        workspace: 'chrome',
        server_id: id,
        status: 'running',
        resources: { cores: 2, memory_mb: 2048, gpus: 0 },
        staged: true,
        staging: 'warm',
        created_at: at,
        updated_at: at,
        last_keepalive_at: at,
        ended_at: null,
        end_reason: null,
        api_key: null,
      });
    }
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(h.app, '/api/v1/sessions', { pool: 'containers', user: `u${i}`, workspace: 'chrome' })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(2);
    expect(answers.filter((r) => r.status === 503)).toHaveLength(8);
    const running = await h.store.listSessions({ pool: 'containers', status: ['running'] });
    expect(running.filter((s) => s.staged)).toHaveLength(0);
    expect(new Set(running.map((s) => s.server_id)).size).toBe(2);
  });
});

describe('status and metrics', () => {
  it('GET /api/v1/status shows pools, servers, sessions, queue, reconcile, config errors and the leader', async () => {
    const status: ServeStatus = {
      replica_id: 'r1',
      is_leader: true,
      leader_id: 'r1',
      apply_policy: 'safe',
      config: {
        dir: '/cfg',
        loaded_at: new Date(T0).toISOString(),
        errors: [{ severity: 'error', code: 'schema', message: 'bad', file: 'a.yaml', line: 3, column: 1, path: '/x' }],
      },
      last_reconcile: null,
      next_reconcile_at: null,
    };
    const h = await harness(status);
    await addServer(h.store, { status_progress: 100 });
    await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'a' });
    await post(h.app, '/api/v1/sessions', { pool: 'burst', user: 'b' });
    const res = await h.app.request('/api/v1/status');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body['leader']).toBe('r1');
    expect(body['replica']).toEqual({ id: 'r1', is_leader: true, leader: 'r1' });
    expect((body['config'] as Record<string, unknown>)['errors']).toHaveLength(1);
    expect(body['servers']).toHaveLength(1);
    expect(body['sessions']).toHaveLength(1);
    expect(body['queue']).toMatchObject([{ pool: 'burst', position: 1 }]);
    const pools = body['pools'] as Record<string, unknown>[];
    expect(pools.find((p) => p['name'] === 'desktops')).toMatchObject({ sessions: 1, servers: 1, available_sessions: 1 });
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('GET /metrics is Prometheus text with sessions, queue, servers, reconcile, provider errors and leader', async () => {
    const status: ServeStatus = {
      replica_id: 'r1',
      is_leader: false,
      leader_id: 'r2',
      apply_policy: 'safe',
      config: { dir: '/cfg', loaded_at: null, errors: [] },
      last_reconcile: null,
      next_reconcile_at: null,
    };
    const h = await harness(status);
    await addServer(h.store);
    await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'a' });
    await post(h.app, '/api/v1/sessions', { pool: 'burst', user: 'b' });
    const res = await h.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('poolform_sessions{pool="desktops",status="running"} 1');
    expect(text).toContain('poolform_queue_length{pool="burst"} 1');
    expect(text).toContain('poolform_servers{pool="desktops",status="running"} 1');
    expect(text).toContain('poolform_reconcile_duration_seconds');
    expect(text).toContain('poolform_provider_errors_total');
    // Series exist before the first event: empty queues and untouched providers show 0.
    expect(text).toContain('poolform_queue_length{pool="desktops"} 0');
    expect(text).toContain('poolform_sessions{pool="sso",status="running"} 0');
    expect(text).toContain('poolform_provider_errors_total{provider="local"} 0');
    expect(text).toContain('poolform_leader{replica="r1"} 0');
    expect(text).toContain('poolform_leader_info{leader="r2"} 1');
  });
});
