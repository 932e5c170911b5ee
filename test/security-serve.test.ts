// Security review of `poolform serve`: the watcher survives hostile directory
// changes, check-in tokens cannot be confused or replayed for gone servers,
// API keys behave across reloads and key files, bodies are bounded on a real
// socket (chunked, no Content-Length), and no secret reaches the logs,
// /api/v1/status or /metrics. Real SQLite store, real config, real watcher.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from 'hono/jwt';
import { serve as serveHttp } from '@hono/node-server';
import type { Hono } from 'hono';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { ServerRecord, StateStore } from '../src/state/types.ts';
import { CHECKIN_KEY_NAME, generateSigningKey, signCheckinToken } from '../src/auth/checkin-token.ts';
import { createApp } from '../src/server/app.ts';
import type { Log } from '../src/server/types.ts';
import { watchConfigDir } from '../src/daemon/watcher.ts';
import { createDaemon } from '../src/daemon/daemon.ts';
import type { ReconcileOutcome } from '../src/daemon/pipeline.ts';
import { createMetrics } from '../src/server/metrics.ts';
import { startServe } from '../src/daemon/serve.ts';
import { serverRecord } from './fixtures/plan/builders.ts';

const HOUR = 3_600_000;
const API_KEY = 'ApiKey-S3cr3t-7d1f';
const CONN_PW = 'ConnPw-S3cr3t-91ab';
const FILE_PW = 'FilePw-S3cr3t-44cd';
const USER_CRED = 'UserCred-S3cr3t-0e0e';
const SECRETS = [API_KEY, CONN_PW, FILE_PW, USER_CRED];

const SETTINGS = (keys: string) => `kind: Settings
api_keys:
${keys}
`;

const POOLS = `kind: VmProvider
name: local
type: local
max_instances: 5
startup_script: "echo {server_id}"
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
    connection_password: \${env:CONN_PW}
    max_simultaneous_sessions_per_server: 2
    reusable: true
---
kind: Pool
name: sso
type: server
servers:
  - name: ws1
    hostname: ws1.example.com
    connection_type: rdp
    connection_port: 3389
    connection_username: "{sso_username}"
    connection_password: "{sso_cred}"
`;

/** A pool whose password file sits next to its YAML, in a subdirectory. */
const FILE_POOL = `kind: Pool
name: filed
type: server
servers:
  - name: fs1
    hostname: fs1.example.com
    connection_type: vnc
    connection_port: 5901
    connection_password: \${file:vnc.pw}
`;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'poolform-security-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirSeq = 0;
/** A config dir: settings in settings/, pools at the top, a file-secret pool in sub/. */
function configDir(keys = `  - name: portal\n    secret: \${env:API_KEY}`): string {
  const dir = join(root, `cfg-${++dirSeq}`);
  mkdirSync(join(dir, 'settings'), { recursive: true });
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'settings', 'settings.yaml'), SETTINGS(keys));
  writeFileSync(join(dir, 'pools.yaml'), POOLS);
  writeFileSync(join(dir, 'sub', 'filed.yaml'), FILE_POOL);
  writeFileSync(join(dir, 'sub', 'vnc.pw'), `${FILE_PW}\n`);
  return dir;
}

async function load(dir: string): Promise<Config> {
  const r = await loadConfig(dir);
  if (!r.config) throw new Error(`fixture config invalid: ${JSON.stringify(r.diagnostics, null, 2)}`);
  return r.config;
}

/** Captures every log line as JSON text (what pino would print). */
function captureLog(): { log: Log; text: () => string } {
  const lines: string[] = [];
  const put = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...obj, msg }));
  return { log: { info: put('info'), warn: put('warn'), error: put('error'), debug: put('debug') }, text: () => lines.join('\n') };
}

interface Harness {
  app: Hono;
  store: StateStore;
  key: string;
  setConfig: (c: Config) => void;
  logText: () => string;
}

async function harness(dir: string, env: Record<string, string> = { API_KEY, CONN_PW }): Promise<Harness> {
  let config = await load(dir);
  const store = await createSqliteStore({ path: ':memory:' });
  const captured = captureLog();
  const app = createApp({ store, getConfig: () => config, env, log: captured.log });
  const key = await store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey);
  return { app, store, key, setConfig: (c) => (config = c), logText: captured.text };
}

let serverSeq = 0;
async function addServer(store: StateStore, over: Partial<ServerRecord> = {}): Promise<ServerRecord> {
  const id = over.id ?? `srv-${++serverSeq}`;
  const created = new Date(Date.now() - 60_000 + serverSeq).toISOString();
  const server = serverRecord(id, { hostname: `host-${id}`, created_at: created, updated_at: created, checked_in_at: created, ...over });
  await store.putServer(server);
  return server;
}

function bearer(key: string): Record<string, string> {
  return { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
}

async function post(app: Hono, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('config watcher under hostile directory changes', () => {
  it('a symbolic-link loop does not crash the process; later edits still reload', async () => {
    const dir = configDir();
    const changes: string[][] = [];
    const errors: Error[] = [];
    const w = watchConfigDir(dir, (p) => changes.push(p), { debounceMs: 50, onError: (e) => errors.push(e) });
    await w.ready;
    try {
      symlinkSync('loop-b', join(dir, 'loop-a'));
      symlinkSync('loop-a', join(dir, 'loop-b'));
      symlinkSync('..', join(dir, 'sub', 'up'));
      await waitFor(() => changes.length > 0, 5_000, 'a reload after the links appeared');
      const before = changes.length;
      writeFileSync(join(dir, 'pools.yaml'), `${POOLS}\n# edited\n`);
      await waitFor(() => changes.length > before, 5_000, 'a reload after an edit');
      // Errors, when chokidar reports them, go to the reporter (never an unhandled 'error' event).
      for (const e of errors) expect(e).toBeInstanceOf(Error);
    } finally {
      await w.close();
    }
  });

  it('without an error reporter a link loop is still not an unhandled error', async () => {
    const dir = configDir();
    const changes: string[][] = [];
    const w = watchConfigDir(dir, (p) => changes.push(p), { debounceMs: 50 });
    await w.ready;
    try {
      symlinkSync('loop-d', join(dir, 'loop-c'));
      symlinkSync('loop-c', join(dir, 'loop-d'));
      await waitFor(() => changes.length > 0, 5_000, 'a reload after the links appeared');
    } finally {
      await w.close();
    }
  });
});

describe('daemon under faults', () => {
  it('a failure after the apply (the audit write throws) is logged; the run completes and the next one still happens', async () => {
    const dir = configDir();
    const real = await createSqliteStore({ path: ':memory:' });
    const store = {
      ...real,
      appendAudit: () => {
        throw new Error('disk full');
      },
    } as typeof real;
    const captured = captureLog();
    let runs = 0;
    const reconcile = async (): Promise<ReconcileOutcome> => {
      runs++;
      return {
        changes: [],
        applied: 0,
        failed: 0,
        held: [],
        decisions: [{ action: 'create', pool: 'desktops', autoscale: 'day', reason: `run ${runs}` }],
        errors: [],
        providerErrors: [],
        audited: false,
      };
    };
    const initial = await loadConfig(dir);
    const daemon = createDaemon({
      dir,
      store,
      log: captured.log,
      metrics: createMetrics(),
      reconcile,
      upstreamAuthAddress: '127.0.0.1:9',
      stateDir: dir,
      load: loadConfig,
      initial,
      watch: false,
      lockWaitMs: 200,
    });
    await daemon.start();
    try {
      await waitFor(() => runs >= 1, 5_000, 'the first run');
      const summary = await daemon.reconcileNow('test');
      expect(summary.result).toBe('ok');
      expect(runs).toBeGreaterThanOrEqual(2);
      expect(captured.text()).toContain('disk full');
    } finally {
      await daemon.stop();
    }
  });
});

describe('serve start', () => {
  it('says at once when no API key resolves (by name and reference, not value)', async () => {
    const dir = configDir();
    const captured = captureLog();
    const idle = async (): Promise<ReconcileOutcome> => ({
      changes: [],
      applied: 0,
      failed: 0,
      held: [],
      decisions: [],
      errors: [],
      providerErrors: [],
      audited: false,
    });
    const handle = await startServe({
      dir,
      listen: '127.0.0.1:0',
      stateDir: join(dir, 'state'),
      env: { CONN_PW },
      cwd: dir,
      log: captured.log,
      reconcile: idle,
      watch: false,
    });
    try {
      expect(captured.text()).toContain('"api-keys-unusable"');
      // Error log lines carry their code (issue 12, defect 9).
      expect(captured.text()).toContain('"code":"api-keys-unusable"');
      expect(captured.text()).toContain('${env:API_KEY}');
      const res = await fetch(`${handle.url}/api/v1/sessions`, { method: 'POST', headers: bearer(API_KEY), body: '{"pool":"desktops","user":"u"}' });
      expect(res.status).toBe(401);
    } finally {
      await handle.stop();
    }
    expect(captured.text()).not.toContain(CONN_PW);
  });
});

describe('check-in tokens', () => {
  let h: Harness;
  let server: ServerRecord;
  const body = { status: 'failed', status_message: 'x', status_progress: '5' };
  beforeAll(async () => {
    h = await harness(configDir());
  });

  async function expectRejected(token: string): Promise<void> {
    const res = await post(h.app, `/api/set_server_status?token=${encodeURIComponent(token)}`, body, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
    const s = await h.store.getServer(server.id);
    expect(s?.status).toBe('starting');
    expect(s?.checked_in_at).toBeNull();
  }

  it('other algorithms (HS512 with the real key, RS256/HS384 headers on a valid signature) → 401, nothing changes', async () => {
    server = await addServer(h.store, { status: 'starting', status_progress: 0, checked_in_at: null });
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: server.id, purpose: 'checkin', iat: now, exp: now + 3600 };
    await expectRejected(await sign(claims, h.key, 'HS512'));
    const good = await signCheckinToken(h.key, server.id, Date.now(), HOUR);
    const [, payload, sig] = good.split('.');
    for (const alg of ['RS256', 'HS384', 'none', 'ES256']) {
      const header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
      await expectRejected(`${header}.${payload}.${sig}`);
    }
    // Missing exp, a numeric subject, a not-yet-valid token: all refused even with the real key.
    await expectRejected(await sign({ sub: server.id, purpose: 'checkin' }, h.key, 'HS256'));
    await expectRejected(await sign({ ...claims, sub: 5 }, h.key, 'HS256'));
    await expectRejected(await sign({ ...claims, nbf: now + 3600 }, h.key, 'HS256'));
    // Each refusal is logged for people watching for abuse, without the token itself.
    const refusals = h
      .logText()
      .split('\n')
      .filter((l) => l.includes('"auth-failed"'));
    expect(refusals.length).toBeGreaterThanOrEqual(8);
    expect(h.logText()).not.toContain(payload);
  });

  it('a check-in message cannot carry terminal escapes or forged lines; it is stored sanitized, the check-in still counts', async () => {
    const s = await addServer(h.store, { status: 'starting', status_progress: 0, checked_in_at: null });
    const token = await signCheckinToken(h.key, s.id, Date.now(), HOUR);
    const message = 'ok\u001b[31mRED\u001b]0;title\u0007\nApply complete!\u0000';
    const res = await post(
      h.app,
      `/api/set_server_status?token=${token}`,
      { status: 'starting', status_message: message, status_progress: '40' },
      { 'Content-Type': 'application/json' },
    );
    expect(res.status).toBe(200);
    const stored = await h.store.getServer(s.id);
    expect(stored?.status_progress).toBe(40);
    expect(stored?.status_message).toBe('ok [31mRED ]0;title  Apply complete! ');
    expect(stored?.status_message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('a token of a destroyed server → 401, and no record is resurrected', async () => {
    const gone = await addServer(h.store, { status: 'running' });
    const token = await signCheckinToken(h.key, gone.id, Date.now(), HOUR);
    await h.store.deleteServer(gone.id);
    const res = await post(h.app, `/api/set_server_status?token=${token}`, { status: 'running' }, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(401);
    expect(await h.store.getServer(gone.id)).toBeUndefined();
  });
});

describe('API keys', () => {
  it('a key removed from the config stops working after a reload; a key file may end in a newline', async () => {
    const dir = configDir();
    const h = await harness(dir);
    const body = { pool: 'nope', user: 'u' };
    expect((await post(h.app, '/api/v1/sessions', body, bearer(API_KEY))).status).toBe(404);
    // Reload: the env key is gone, a key file (written by `echo KEY > file`) replaces it.
    writeFileSync(join(dir, 'settings', 'api.key'), 'FileKey-7f7f\n');
    writeFileSync(join(dir, 'settings', 'settings.yaml'), SETTINGS(`  - name: filed\n    secret: \${file:api.key}`));
    h.setConfig(await load(dir));
    const old = await post(h.app, '/api/v1/sessions', body, bearer(API_KEY));
    expect(old.status).toBe(401);
    expect(await old.json()).toMatchObject({ error: 'unauthorized' });
    expect((await post(h.app, '/api/v1/sessions', body, bearer('FileKey-7f7f'))).status).toBe(404);
  });

  it('a key file that is missing at first use is picked up once it appears (no restart, no config edit)', async () => {
    const dir = configDir(`  - name: mounted\n    secret: \${file:mounted.key}`);
    const config = await load(dir);
    const store = await createSqliteStore({ path: ':memory:' });
    const now = { ms: Date.now() };
    const captured = captureLog();
    const app = createApp({ store, getConfig: () => config, env: {}, log: captured.log, clock: () => now.ms });
    const body = { pool: 'nope', user: 'u' };
    expect((await post(app, '/api/v1/sessions', body, bearer('Mounted-7e7e'))).status).toBe(401);
    expect(captured.text()).toContain('mounted.key');
    writeFileSync(join(dir, 'settings', 'mounted.key'), 'Mounted-7e7e');
    now.ms += 10_000;
    expect((await post(app, '/api/v1/sessions', body, bearer('Mounted-7e7e'))).status).toBe(404);
    expect(captured.text()).not.toContain('Mounted-7e7e');
  });

  it('a key containing whitespace is disabled and reported by name, never by value', async () => {
    const dir = configDir(`  - name: spacey\n    secret: \${env:SPACEY}`);
    const h = await harness(dir, { SPACEY: 'two words-S3cr3t' });
    const res = await post(h.app, '/api/v1/sessions', { pool: 'nope', user: 'u' }, { Authorization: 'Bearer two', 'Content-Type': 'application/json' });
    expect(res.status).toBe(401);
    expect(h.logText()).toContain('spacey');
    expect(h.logText()).not.toContain('S3cr3t');
  });

  it('user names: unicode is fine, control characters (NUL, ESC, newline) and lone surrogates → 400 JSON', async () => {
    const h = await harness(configDir());
    await addServer(h.store, { id: 'vm-u', pool: 'desktops', autoscale: 'day', max_sessions: 10, status: 'running' });
    for (const user of ['a\u0000b', 'evil\u001b[2J', 'two\nlines', 'x\u0085y', 'lone\ud800', '\udc00x']) {
      const res = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user }, bearer(API_KEY));
      expect(res.status, JSON.stringify(user)).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_field' });
    }
    const ok = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'Zoë \u5c71\u7530 \ud83d\ude00' }, bearer(API_KEY));
    expect(ok.status).toBe(201);
    expect((await h.store.listSessions({ status: ['running'] })).length).toBe(1);
  });

  it('wrong scheme, empty, much longer or shorter keys → 401 JSON', async () => {
    const h = await harness(configDir());
    for (const auth of [
      `Basic ${API_KEY}`,
      API_KEY,
      'Bearer ',
      `Bearer ${API_KEY}x`,
      `Bearer ${API_KEY.slice(0, -1)}`,
      `Bearer ${'k'.repeat(4000)}`,
      `Bearer ${API_KEY} extra`,
    ]) {
      const res = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'u' }, { Authorization: auth, 'Content-Type': 'application/json' });
      expect(res.status, auth.slice(0, 30)).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
  });
});

describe('secrets stay out of logs, status and metrics', () => {
  it('placing sessions (env and file passwords, SSO credential) leaks nothing but the requester’s own connection', async () => {
    const h = await harness(configDir());
    await addServer(h.store, { id: 'vm-a', pool: 'desktops', autoscale: 'day', max_sessions: 2, status: 'running' });
    await addServer(h.store, { id: 'fixed.filed.fs1', pool: 'filed', autoscale: null, max_sessions: 1, status: 'running' });
    await addServer(h.store, { id: 'fixed.sso.ws1', pool: 'sso', autoscale: null, max_sessions: 1, status: 'running' });

    const a = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'alice' }, bearer(API_KEY));
    expect(a.status).toBe(201);
    expect(await a.json()).toMatchObject({ connection: { username: 'svc', password: CONN_PW } });
    // ${file:vnc.pw} is relative to the pool's own file (sub/), and its trailing newline is part of the file.
    const f = await post(h.app, '/api/v1/sessions', { pool: 'filed', user: 'bob' }, bearer(API_KEY));
    expect(f.status).toBe(201);
    const fj = (await f.json()) as { connection: { password: string } };
    expect(fj.connection.password.trim()).toBe(FILE_PW);
    const s = await post(h.app, '/api/v1/sessions', { pool: 'sso', user: 'carol', credential: USER_CRED }, bearer(API_KEY));
    expect(s.status).toBe(201);
    expect(await s.json()).toMatchObject({ connection: { username: 'carol', password: USER_CRED } });

    const status = await (await h.app.request('/api/v1/status')).text();
    const metrics = await (await h.app.request('/metrics')).text();
    const stored = JSON.stringify([await h.store.listSessions({}), await h.store.listServers(), await h.store.listAudit(100)]);
    for (const secret of SECRETS) {
      expect(status, 'status').not.toContain(secret);
      expect(metrics, 'metrics').not.toContain(secret);
      expect(h.logText(), 'logs').not.toContain(secret);
      expect(stored, 'store').not.toContain(secret);
    }
  });

  it('an unresolvable connection password → 500 JSON naming the pool, not the reference value or a stack', async () => {
    const h = await harness(configDir(), { API_KEY });
    await addServer(h.store, { id: 'vm-b', pool: 'desktops', autoscale: 'day', max_sessions: 2, status: 'running' });
    const res = await post(h.app, '/api/v1/sessions', { pool: 'desktops', user: 'alice' }, bearer(API_KEY));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'connection_unresolved' });
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    // The session it could not hand out does not hold the slot.
    expect((await h.store.listSessions({ status: ['running'] })).length).toBe(0);
  });
});

describe('bodies on a real socket', () => {
  let server: Server;
  let port: number;
  let h: Harness;
  beforeAll(async () => {
    h = await harness(configDir());
    await new Promise<void>((resolve) => {
      server = serveHttp({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      }) as Server;
    });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length). */
  function chunked(path: string, chunks: string[]): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...bearer(API_KEY), 'Transfer-Encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it('a chunked body over 64 KiB → 413 JSON on both APIs; the server keeps serving', async () => {
    const pad = Array.from({ length: 80 }, () => 'x'.repeat(1024));
    for (const path of ['/api/v1/sessions', '/api/set_server_status?token=abc']) {
      const r = await chunked(path, ['{"pool":"desktops","user":"u","pad":"', ...pad, '"}']);
      expect(r.status, path).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ error: 'payload_too_large' });
    }
    const small = await chunked('/api/v1/sessions', ['{"pool":"nope",', '"user":"u"}']);
    expect(small.status).toBe(404);
  });

  it('many keepalives and deletes of one session at once: no 5xx, the session ends once', async () => {
    await addServer(h.store, { id: 'vm-c', pool: 'desktops', autoscale: 'day', max_sessions: 2, status: 'running' });
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, {
      method: 'POST',
      headers: bearer(API_KEY),
      body: JSON.stringify({ pool: 'desktops', user: 'dave' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const calls: Promise<number>[] = [];
    for (let i = 0; i < 30; i++) {
      calls.push(fetch(`http://127.0.0.1:${port}/api/v1/sessions/${id}/keepalive`, { method: 'POST', headers: bearer(API_KEY) }).then((r) => r.status));
      calls.push(fetch(`http://127.0.0.1:${port}/api/v1/sessions/${id}`, { method: 'DELETE', headers: bearer(API_KEY) }).then((r) => r.status));
    }
    const statuses = await Promise.all(calls);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const session = await h.store.getSession(id);
    expect(session?.status).toBe('ended');
    const audit = (await h.store.listAudit(1000)).filter((e) => JSON.stringify(e).includes(id));
    expect(audit.length).toBeLessThanOrEqual(1);
  });
});

describe('SSH key material (issue 16) stays with the session owner', () => {
  const keyPair = (cipher?: string) =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: cipher ? { type: 'pkcs1', format: 'pem', cipher, passphrase: 'x' } : { type: 'pkcs1', format: 'pem' },
    }).privateKey;
  const POOL_KEY = keyPair();
  const PASSPHRASE = 'SshPass-S3cr3t-5e5e';
  const USER_KEY = keyPair();
  const SSH_POOLS = `kind: Pool
name: sshkey
type: server
servers:
  - name: k1
    hostname: k1.example.com
    connection_type: ssh
    connection_username: deploy
    connection_private_key: \${env:SSH_KEY}
    connection_passphrase: \${env:SSH_PASS}
---
kind: Pool
name: sshuser
type: server
servers:
  - name: u1
    hostname: u1.example.com
    connection_type: ssh
    connection_username: "{sso_username}"
    use_user_private_key: true
`;
  /** Whole keys and each of their base64 lines: a partial leak counts too. */
  const keyProbes = [POOL_KEY, USER_KEY].flatMap((k) => [k.trim(), ...k.split('\n').filter((l) => l.length > 40)]);

  it('keys reach only the owning API key; never logs, status, metrics, the store or error answers', async () => {
    const dir = configDir(`  - name: portal\n    secret: \${env:API_KEY}\n  - name: ops\n    role: admin\n    secret: \${env:ADMIN_KEY}`);
    writeFileSync(join(dir, 'ssh.yaml'), SSH_POOLS);
    const ADMIN_KEY = 'AdminKey-S3cr3t-6f6f';
    const h = await harness(dir, { API_KEY, ADMIN_KEY, CONN_PW, SSH_KEY: POOL_KEY, SSH_PASS: PASSPHRASE });
    await addServer(h.store, { id: 'fixed.sshkey.k1', pool: 'sshkey', autoscale: null, max_sessions: 1, status: 'running', connection_type: 'ssh' });
    await addServer(h.store, { id: 'fixed.sshuser.u1', pool: 'sshuser', autoscale: null, max_sessions: 1, status: 'running', connection_type: 'ssh' });

    // Refused user keys: the answer never echoes the key.
    for (const bad of [keyPair('aes-256-cbc'), POOL_KEY.replace('RSA PRIVATE', 'OPENSSH PRIVATE'), `${USER_KEY.slice(0, 200)}garbage`]) {
      const res = await post(h.app, '/api/v1/sessions', { pool: 'sshuser', user: 'eve', ssh_private_key: bad }, bearer(API_KEY));
      expect(res.status).toBe(400);
      const text = await res.text();
      for (const line of bad.split('\n').filter((l) => l.length > 40)) expect(text).not.toContain(line);
    }

    const k = await post(h.app, '/api/v1/sessions', { pool: 'sshkey', user: 'alice' }, bearer(API_KEY));
    expect(k.status).toBe(201);
    const kj = (await k.json()) as { id: string; connection: Record<string, string> };
    expect(kj.connection).toMatchObject({ private_key: POOL_KEY, passphrase: PASSPHRASE });
    const u = await post(h.app, '/api/v1/sessions', { pool: 'sshuser', user: 'bob', ssh_private_key: USER_KEY }, bearer(API_KEY));
    expect(u.status).toBe(201);
    const uj = (await u.json()) as { id: string; connection: Record<string, string> };
    expect(uj.connection['private_key']).toBe(USER_KEY);

    // An admin key reads both sessions, without their key material.
    for (const id of [kj.id, uj.id]) {
      const text = await (await h.app.request(`/api/v1/sessions/${id}`, { headers: bearer(ADMIN_KEY) })).text();
      expect(JSON.parse(text)).toMatchObject({ id });
      for (const p of [...keyProbes, PASSPHRASE]) expect(text).not.toContain(p);
    }

    const status = await (await h.app.request('/api/v1/status', { headers: bearer(ADMIN_KEY) })).text();
    const metrics = await (await h.app.request('/metrics')).text();
    const stored = JSON.stringify([await h.store.listSessions({}), await h.store.listServers(), await h.store.listAudit(100), await h.store.listResources()]);
    for (const p of [...keyProbes, PASSPHRASE]) {
      expect(status.includes(p), 'status').toBe(false);
      expect(metrics.includes(p), 'metrics').toBe(false);
      expect(h.logText().includes(p), 'logs').toBe(false);
      expect(stored.includes(p), 'store').toBe(false);
    }
  });

  it('an unresolvable private key → 500 naming the pool, never a key or the reference value; the slot is freed', async () => {
    const dir = configDir();
    writeFileSync(join(dir, 'ssh.yaml'), SSH_POOLS);
    const h = await harness(dir, { API_KEY, CONN_PW, SSH_PASS: PASSPHRASE });
    await addServer(h.store, { id: 'fixed.sshkey.k1', pool: 'sshkey', autoscale: null, max_sessions: 1, status: 'running', connection_type: 'ssh' });
    const res = await post(h.app, '/api/v1/sessions', { pool: 'sshkey', user: 'alice' }, bearer(API_KEY));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'connection_unresolved' });
    expect(text).not.toContain(PASSPHRASE);
    expect(h.logText()).not.toContain(PASSPHRASE);
    expect((await h.store.listSessions({ status: ['running'] })).length).toBe(0);
  });
});
