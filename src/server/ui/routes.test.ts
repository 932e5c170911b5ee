// The web page's routes through app.request(): redirect, login (admin only),
// cookie flags, session binding to the key, logout, Settings.ui: false, no
// secret value in any response, and escaping of HTML-special characters that
// come from configuration and state.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/model.ts';
import { createSqliteStore } from '../../state/sqlite-store.ts';
import type { ServerRecord, StateStore } from '../../state/types.ts';
import { createApp } from '../app.ts';
import type { ServeStatus } from '../types.ts';
import { escapeHtml, html } from './html.ts';

const ENV = {
  UI_ADMIN_KEY: 'AdminKey-Ui-Probe-7q',
  UI_SESSIONS_KEY: 'SessKey-Ui-Probe-8r',
  UI_CONN_PW: 'ConnPw-Ui-Probe-9s',
  UI_VNC_PW: 'VncPw-Ui-Probe-0t',
  UI_PASSPHRASE: 'Passphrase-Ui-Probe-1u',
  UI_LDAP_PW: 'LdapPw-Ui-Probe-2v',
  UI_AWS_AKID: 'AKIAUIPROBE3W',
  UI_AWS_SECRET: 'AwsSecret-Ui-Probe-4x',
};
const XSS = `<script>alert("x")</script> & 'q'`;
const NOW = Date.parse('2026-03-27T10:00:00.000Z'); // Europe/Berlin switches to summer time on 2026-03-29

let root: string;
let config: Config;
let probes: string[];
const stores: StateStore[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'poolform-ui-'));
  mkdirSync(join(root, 'keys'));
  const ssh = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const nginx = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(root, 'keys', 'id_rsa'), ssh);
  writeFileSync(join(root, 'keys', 'nginx.key'), nginx);
  probes = [...Object.values(ENV), ssh.split('\n')[3] ?? '', nginx.split('\n')[3] ?? ''].filter((p) => p.length > 10);
  writeFileSync(
    join(root, 'all.yaml'),
    `kind: Settings
api_keys:
  - name: ops
    secret: \${env:UI_ADMIN_KEY}
    role: admin
  - name: portal
    secret: \${env:UI_SESSIONS_KEY}
---
kind: VmProvider
name: local
type: local
max_instances: 3
cores: 4
memory_mb: 8192
startup_script: "echo {server_id} {connection_password}"
---
kind: VmProvider
name: aws
type: aws
aws_region: us-east-1
aws_ec2_ami_id: ami-0123456789abcdef0
aws_ec2_instance_type: t3.large
max_instances: 1
access_key_id: \${env:UI_AWS_AKID}
secret_access_key: \${env:UI_AWS_SECRET}
endpoint: http://127.0.0.1:9
startup_script: "echo {server_id}"
---
kind: LdapConfig
name: ad
url: ldaps://127.0.0.1:9
bind_dn: cn=svc,DC=corp,DC=example,DC=com
bind_password: \${env:UI_LDAP_PW}
search_base: DC=corp,DC=example,DC=com
---
kind: Pool
name: desk
type: server
friendly_name: ${JSON.stringify(XSS)}
autoscale:
  - name: day
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    connection_username: admin
    connection_password: \${env:UI_CONN_PW}
    minimum_available_sessions: 1
    schedules:
      - days: [mon, tue, wed, thu, fri, sat, sun]
        start: "08:00"
        end: "18:00"
        timezone: Europe/Berlin
servers:
  - name: f1
    hostname: 127.0.0.1
    connection_type: ssh
    connection_port: 22
    connection_username: root
    connection_private_key: \${file:keys/id_rsa}
    connection_passphrase: \${env:UI_PASSPHRASE}
  - name: f2
    hostname: 127.0.0.3
    connection_type: vnc
    connection_port: 5901
    connection_password: \${env:UI_VNC_PW}
---
kind: Pool
name: agents
type: docker_agent
autoscale:
  - name: s
    vm_provider: local
    standby_cores: 1
    nginx_key: \${file:keys/nginx.key}
`,
  );
  const loaded = await loadConfig(root);
  if (!loaded.config) throw new Error(JSON.stringify(loaded.diagnostics));
  config = loaded.config;
});
afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(root, { recursive: true, force: true });
});

function server(id: string, extra: Partial<ServerRecord> = {}): ServerRecord {
  const at = new Date(NOW - 3_600_000).toISOString();
  return {
    id,
    pool: 'desk',
    autoscale: 'day',
    address: `vm.desk.day.${id}`,
    hostname: `desk-${id}`,
    ip: '10.0.0.5',
    connection_type: 'rdp',
    connection_port: 3389,
    status: 'running',
    status_message: '',
    status_progress: 100,
    max_sessions: 2,
    reusable: true,
    capacity: null,
    enabled: true,
    created_at: at,
    updated_at: at,
    checked_in_at: at,
    ...extra,
  };
}

const status: ServeStatus = {
  replica_id: 'r1',
  is_leader: true,
  leader_id: 'r1',
  apply_policy: 'safe',
  config: { dir: '/cfg', loaded_at: new Date(NOW).toISOString(), errors: [] },
  last_reconcile: {
    started_at: new Date(NOW - 5000).toISOString(),
    finished_at: new Date(NOW - 4000).toISOString(),
    duration_ms: 1000,
    result: 'ok',
    trigger: 'interval',
    message: `planned 1 change ${XSS}`,
    changes: 1,
    applied: 0,
    failed: 1,
    held: 1,
    plan: [{ address: 'vm.desk.day.new1', action: 'create', reason: `minimum_available_sessions 1 ${XSS}` }],
    held_changes: [{ address: 'vm.desk.day.old1', action: 'delete', reason: 'idle' }],
    decisions: [{ action: 'hold', pool: 'desk', autoscale: 'day', server_id: null, reason: 'check-in back-off: next create after 2026-03-27T10:05:00Z' }],
    errors: [`create vm.desk.day.new1 failed: ${XSS}`],
  },
  next_reconcile_at: new Date(NOW + 30_000).toISOString(),
};
// An earlier run, before the last one (newest first).
status.recent_reconciles = [
  status.last_reconcile as NonNullable<ServeStatus['last_reconcile']>,
  {
    ...(status.last_reconcile as NonNullable<ServeStatus['last_reconcile']>),
    started_at: new Date(NOW - 65_000).toISOString(),
    trigger: 'config changed',
    message: 'nothing to do',
    plan: [],
    errors: [],
    changes: 0,
    failed: 0,
    held: 0,
  },
];

async function harness(cfg: Config = config): Promise<{ app: Hono; store: StateStore }> {
  const store = await createSqliteStore({ path: ':memory:' });
  stores.push(store);
  await store.putServer(server('s1', { status_message: `booting ${XSS}` }));
  await store.putServer(server('s2', { status: 'starting', status_progress: 40, checked_in_at: null }));
  await store.putServer(
    server('fixed.desk.f1', {
      autoscale: null,
      address: 'server.desk.f1',
      hostname: '127.0.0.1',
      connection_type: 'ssh',
      connection_port: 22,
      max_sessions: 1,
    }),
  );
  await store.appendAudit([
    {
      at: new Date(NOW - 60_000).toISOString(),
      actor: 'server:s1',
      action: 'checkin',
      address: 'vm.desk.day.s1',
      reason: `check-in: running (${XSS})`,
      detail: { status: 'running', progress: 100 },
    },
    {
      at: new Date(NOW - 30_000).toISOString(),
      actor: 'serve',
      action: 'create',
      address: 'vm.desk.day.s2',
      reason: 'below minimum',
      detail: { status: 'applied', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' },
    },
  ]);
  const app = createApp({ store, getConfig: () => cfg, env: ENV, clock: () => NOW, getStatus: () => status });
  return { app, store };
}

async function login(app: Hono, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return app.request('http://localhost/ui/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ key }).toString(),
  });
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  const m = /poolform_ui=([^;]+)/.exec(set);
  if (!m?.[1]) throw new Error(`no session cookie in ${set}`);
  return `poolform_ui=${m[1]}`;
}

describe('web page: access', () => {
  it('/ redirects to /ui/; /ui/ without a session goes to the login form', async () => {
    const { app } = await harness();
    const root = await app.request('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const ui = await app.request('/ui/');
    expect(ui.status).toBe(303);
    expect(ui.headers.get('location')).toBe('/ui/login');
    const form = await app.request('/ui/login');
    expect(form.status).toBe(200);
    const text = await form.text();
    expect(text).toContain('<label for="key">Admin API key</label>');
    expect(form.headers.get('content-security-policy')).toContain("script-src 'self'");
    const api = await app.request('/ui/api/data');
    expect(api.status).toBe(401);
  });

  it('an admin key signs in: an HttpOnly, SameSite=Strict cookie holding a random id (not the key); Secure only over TLS', async () => {
    const { app } = await harness();
    const res = await login(app, ENV.UI_ADMIN_KEY);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/');
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\/ui/);
    expect(set).not.toMatch(/Secure/i);
    expect(set).not.toContain(ENV.UI_ADMIN_KEY);
    expect(set).not.toContain(encodeURIComponent(ENV.UI_ADMIN_KEY));
    const page = await app.request('http://localhost/ui/', { headers: { Cookie: cookieOf(res) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as ops');

    const tls = await login(app, ENV.UI_ADMIN_KEY);
    const overTls = await app.request('https://localhost/ui/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: ENV.UI_ADMIN_KEY }).toString(),
    });
    expect(tls.status).toBe(303);
    expect(overTls.headers.get('set-cookie') ?? '').toMatch(/;\s*Secure/i);
  });

  it('a sessions key is refused (403), a wrong key 401, a cross-site form 403; none gets a cookie', async () => {
    const { app } = await harness();
    const sessions = await login(app, ENV.UI_SESSIONS_KEY);
    expect(sessions.status).toBe(403);
    expect(await sessions.text()).toContain('needs a key with the admin role');
    const wrong = await login(app, 'not-a-key');
    expect(wrong.status).toBe(401);
    const cross = await login(app, ENV.UI_ADMIN_KEY, { Origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    for (const r of [sessions, wrong, cross]) expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('behind a TLS-terminating proxy: Origin compared by host, Secure from X-Forwarded-Proto; Sec-Fetch-Site cross-site refused', async () => {
    const { app } = await harness();
    const proxied = await login(app, ENV.UI_ADMIN_KEY, { Origin: 'https://pool.example.com', Host: 'pool.example.com', 'X-Forwarded-Proto': 'https' });
    expect(proxied.status).toBe(303);
    expect(proxied.headers.get('set-cookie') ?? '').toMatch(/;\s*Secure/i);
    expect((await login(app, ENV.UI_ADMIN_KEY, { 'Sec-Fetch-Site': 'same-origin', Origin: 'https://pool.example.com' })).status).toBe(303);
    const refused: Record<string, string>[] = [
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
      { Origin: 'null' },
      { Origin: 'https://pool.example.com.evil.example', Host: 'pool.example.com' },
    ];
    for (const headers of refused) {
      expect((await login(app, ENV.UI_ADMIN_KEY, headers)).status, JSON.stringify(headers)).toBe(403);
    }
  });

  it('a made-up or logged-out session id gets nothing; logout clears the cookie', async () => {
    const { app } = await harness();
    const forged = await app.request('/ui/api/data', { headers: { Cookie: `poolform_ui=${'A'.repeat(43)}` } });
    expect(forged.status).toBe(401);
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    expect((await app.request('/ui/api/data', { headers: { Cookie: cookie } })).status).toBe(200);
    const out = await app.request('/ui/logout', { method: 'POST', headers: { Cookie: cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie') ?? '').toMatch(/poolform_ui=;.*Max-Age=0/i);
    expect((await app.request('/ui/api/data', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('a session ends when its key loses the admin role', async () => {
    let cfg = config;
    const store = await createSqliteStore({ path: ':memory:' });
    stores.push(store);
    const app = createApp({ store, getConfig: () => cfg, env: ENV, clock: () => NOW });
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    expect((await app.request('/ui/api/data', { headers: { Cookie: cookie } })).status).toBe(200);
    cfg = { ...config, settings: { ...config.settings, api_keys: (config.settings.api_keys ?? []).map((k) => ({ ...k, role: 'sessions' as const })) } };
    expect((await app.request('/ui/api/data', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  it('says why nobody can sign in (no admin key, no configuration yet); oversized forms are refused', async () => {
    const noAdmin = await harness({
      ...config,
      settings: { ...config.settings, api_keys: (config.settings.api_keys ?? []).filter((k) => k.role !== 'admin') },
    });
    expect(await (await noAdmin.app.request('/ui/login')).text()).toContain('No API key with the admin role is configured');
    const store = await createSqliteStore({ path: ':memory:' });
    stores.push(store);
    const unloaded = createApp({ store, getConfig: () => undefined, env: ENV, clock: () => NOW });
    expect(await (await unloaded.request('/ui/login')).text()).toContain('No valid configuration is loaded yet');
    expect((await login(unloaded, ENV.UI_ADMIN_KEY)).status).toBe(503);
    const { app } = await harness();
    expect((await login(app, 'x'.repeat(10_000))).status).toBe(413);
  });

  it('Settings.ui: false answers 404 for / and everything under /ui/', async () => {
    const { app } = await harness({ ...config, settings: { ...config.settings, ui: false } });
    for (const path of ['/', '/ui', '/ui/', '/ui/login', '/ui/assets/ui.js', '/ui/api/data']) expect((await app.request(path)).status, path).toBe(404);
    expect((await login(app, ENV.UI_ADMIN_KEY)).status).toBe(404);
    expect((await app.request('/healthz')).status).toBe(200);
  });
});

describe('web page: content', () => {
  const pages = [
    '/ui/',
    '/ui/schedules',
    '/ui/servers',
    '/ui/servers/s1',
    '/ui/servers/fixed.desk.f1',
    '/ui/history',
    '/ui/login',
    '/ui/assets/ui.js',
    '/ui/assets/ui.css',
    '/ui/api/data',
  ];
  const views = ['overview', 'schedules', 'servers', 'history']
    .map((v) => `/ui/api/view?view=${v}&tz=America/New_York`)
    .concat(['/ui/api/view?view=server&id=s1']);

  it('no secret value of the configuration in any page, script, view or JSON', async () => {
    const { app } = await harness();
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    for (const path of [...pages, ...views]) {
      const res = await app.request(path, { headers: { Cookie: cookie } });
      expect(res.status, path).toBe(path === '/ui/login' ? 303 : 200);
      const text = await res.text();
      for (const p of probes) expect(text.includes(p), `${path} contains ${p.slice(0, 12)}…`).toBe(false);
      expect(text, path).not.toContain('eyJhbGciOiJIUzI1NiJ9');
      for (const [k, v] of res.headers) for (const p of probes) expect(v.includes(p), `${path} header ${k}`).toBe(false);
    }
    // The probes are live: the configuration really holds them.
    expect(JSON.stringify(config)).toContain('UI_CONN_PW');
  });

  // Pages that show the friendly name, a check-in message, a reconcile message or error.
  const SHOWS_XSS = [
    '/ui/servers/s1',
    '/ui/history',
    '/ui/api/view?view=overview',
    '/ui/api/view?view=servers',
    '/ui/api/view?view=history',
    '/ui/api/view?view=server&id=s1',
  ];
  it('HTML-special characters from configuration and state are escaped everywhere (no markup injected)', async () => {
    const { app } = await harness();
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    for (const path of [...pages.filter((p) => !p.includes('assets')), ...views]) {
      const res = await app.request(path, { headers: { Cookie: cookie } });
      const body = await res.text();
      const text = path.startsWith('/ui/api/') ? JSON.stringify(JSON.parse(body)) : body;
      const markup = path.startsWith('/ui/api/view') ? (JSON.parse(body) as { html: string }).html : path.startsWith('/ui/api/data') ? '' : body;
      expect(markup, path).not.toContain('<script>alert');
      expect(text, path).not.toContain('<script>alert("x")');
      if (SHOWS_XSS.some((x) => path.startsWith(x))) expect(markup, path).toContain(escapeHtml(XSS));
    }
  });

  it('overview: servers by status, free slots, what the autoscaler wants and holds', async () => {
    const { app, store } = await harness();
    await store.putSession({
      id: 'sess-1',
      pool: 'desk',
      user: 'alice',
      zone: null,
      workspace: null,
      server_id: 's1',
      status: 'running',
      resources: null,
      staged: false,
      staging: null,
      created_at: new Date(NOW - 600_000).toISOString(),
      updated_at: new Date(NOW).toISOString(),
      last_keepalive_at: new Date(NOW).toISOString(),
      ended_at: null,
      end_reason: null,
      api_key: 'portal',
    });
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    const data = (await (await app.request('/ui/api/data', { headers: { Cookie: cookie } })).json()) as {
      pools: {
        name: string;
        servers: Record<string, number>;
        sessions_running: number;
        free_slots: number | null;
        free_resources: unknown;
        holds: unknown[];
        changes: unknown[];
        held_changes: unknown[];
        capacity: { sessions: number }[];
      }[];
      sessions: { id: string }[];
    };
    const desk = data.pools.find((p) => p.name === 'desk');
    expect(desk?.servers).toMatchObject({ starting: 1, running: 2, draining: 0, failed: 0 });
    expect(desk?.sessions_running).toBe(1);
    expect(desk?.free_slots).toBe(2);
    expect(desk?.holds).toHaveLength(1);
    expect(desk?.changes).toHaveLength(1);
    expect(desk?.held_changes).toHaveLength(1);
    expect(desk?.capacity.at(-1)?.sessions).toBe(1);
    expect(data.pools.find((p) => p.name === 'agents')?.free_resources).toEqual({ cores: 0, memory_mb: 0, gpus: 0 });
    expect(data.sessions.map((s) => s.id)).toEqual(['sess-1']);
    const servers = await (await app.request('/ui/servers', { headers: { Cookie: cookie } })).text();
    expect(servers).toContain('sess-1');
    expect(servers).toContain('<caption id="servers-caption">Servers</caption>');
  });

  it('history: recent runs with their trigger, result and what they changed', async () => {
    const { app } = await harness();
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    const { html: markup } = (await (await app.request('/ui/api/view?view=history', { headers: { Cookie: cookie } })).json()) as { html: string };
    expect(markup).toContain('Recent reconciles');
    expect(markup).toContain('config changed');
    expect(markup).toContain('<details data-key="run-2026-03-27T09:59:55.000Z">');
    expect(markup).toContain('vm.desk.day.new1');
  });

  it('schedules: the week in the schedule zone and the viewer zone, a DST day marked', async () => {
    const { app } = await harness();
    const cookie = cookieOf(await login(app, ENV.UI_ADMIN_KEY));
    const res = await app.request('/ui/api/view?view=schedules&tz=America/New_York', { headers: { Cookie: cookie } });
    const { html: markup } = (await res.json()) as { html: string };
    expect(markup).toContain('This week in Europe/Berlin');
    expect(markup).toContain('This week in America/New_York (your zone)');
    expect(markup).toContain('title="daylight saving change: 23-hour day"');
    expect(markup).toContain('Sun 29 Mar');
    // A full page load takes the zone from the script's cookie.
    const page = await (await app.request('/ui/schedules', { headers: { Cookie: `${cookie}; poolform_tz=America%2FNew_York` } })).text();
    expect(page).toContain('This week in America/New_York (your zone)');
    // An unknown zone from the browser is ignored, not an error.
    const bad = await app.request('/ui/api/view?view=schedules&tz=Not/AZone', { headers: { Cookie: cookie } });
    expect(bad.status).toBe(200);
  });
});

describe('html escaping', () => {
  it('escapes interpolations, keeps nested markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(String(html`<p title="${'"x" & y'}">${inner}${['<', 1, null]}</p>`)).toBe('<p title="&quot;x&quot; &amp; y"><b>&lt;i&gt;</b>&lt;1</p>');
  });
});
