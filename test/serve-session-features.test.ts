// Sessions as the reference describes them (issue 16), end to end: the YAML
// is applied with the real CLI (`poolform apply`: fixed servers and agents
// registered, a docker agent VM created by the local provider), then the
// serve API (createApp over the same SQLite state) answers session requests.
//   SSH key material and connection_info in the session answer; the user's own
//   SSH key; docker agents that take sessions only once registered; fixed
//   docker agents; targeted requests; friendly_name; chained day schedules.
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKIN_KEY_NAME, MANAGER_PURPOSE, generateSigningKey, signCheckinToken } from '../src/auth/checkin-token.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { isActive } from '../src/schedule/active.ts';
import { createApp } from '../src/server/app.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { StateStore } from '../src/state/types.ts';
import { serverRecord } from './fixtures/plan/builders.ts';
import { killLocalVms, runCli } from './fixtures/plan/harness.ts';

const K1 = 'portal-key-0123456789abcdef';
const K2 = 'other-key-0123456789abcdef';
const K3 = 'ops-admin-key-0123456789abcdef';
const HOUR = 3_600_000;

function rsaKey(passphrase?: string): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: passphrase ? { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs1', format: 'pem' },
  });
  return privateKey;
}
const POOL_KEY_PASS = 'pool-key-passphrase-77';
const POOL_KEY = rsaKey(POOL_KEY_PASS);
const USER_KEY = rsaKey();
const NGINX_KEY = rsaKey();
const PKCS8_KEY = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
}).privateKey;

const ENV = { K1, K2, K3, SSH_KEY: POOL_KEY, SSH_PASS: POOL_KEY_PASS, NGINX_KEY };

const CONFIG = `
kind: Settings
api_keys:
  - name: portal
    secret: \${env:K1}
  - name: other
    secret: \${env:K2}
  - name: ops
    role: admin
    secret: \${env:K3}
---
kind: VmProvider
name: local
type: local
max_instances: 3
startup_script: "echo {server_id}"
---
kind: Workspace
name: chrome
image: kasmweb/chrome
cores: 2
memory_mb: 2048
---
kind: Pool
name: sshkey
friendly_name: SSH with the team key
type: server
servers:
  - name: s1
    friendly_name: Build box 1
    hostname: 10.0.0.11
    connection_type: ssh
    connection_username: "{sso_username}"
    connection_private_key: \${env:SSH_KEY}
    connection_passphrase: \${env:SSH_PASS}
    connection_info: { greeting: "hello {sso_username}", nested: { list: ["{sso_username}", 3, true] } }
---
kind: Pool
name: sshuser
type: server
servers:
  - name: u1
    hostname: 10.0.0.12
    connection_type: ssh
    connection_username: "{sso_username}"
    use_user_private_key: true
    max_simultaneous_sessions: 2
---
kind: Pool
name: mixed
type: server
servers:
  - name: m-ssh
    hostname: 10.0.0.31
    connection_type: ssh
    use_user_private_key: true
  - name: m-rdp
    hostname: 10.0.0.32
    connection_type: rdp
    max_simultaneous_sessions: 1
---
kind: Pool
name: rdp
type: server
servers:
  - name: r1
    hostname: 10.0.0.21
    connection_type: rdp
  - name: r2
    hostname: 10.0.0.22
    connection_type: rdp
    enabled: false
autoscale:
  - name: burst
    vm_provider: local
    aggressive_scaling: true
    connection_type: rdp
---
kind: Pool
name: plain
type: server
autoscale:
  - name: slow
    vm_provider: local
    connection_type: rdp
---
kind: Pool
name: containers
type: docker_agent
friendly_name: Browser containers
agents:
  - name: a1
    friendly_name: Rack agent 1
    hostname: 10.0.1.1
    cores: 4
    memory_mb: 8192
  - name: a2
    hostname: 10.0.1.2
    cores: 2
    memory_mb: 4096
    enabled: false
---
kind: Pool
name: autoagents
type: docker_agent
autoscale:
  - name: auto
    vm_provider: local
    standby_cores: 1
    agent_cores_override: 2
    agent_memory_override_gb: 4
    nginx_cert: \${file:proxy-cert.pem}
    nginx_key: \${env:NGINX_KEY}
---
kind: Pool
name: night
type: docker_agent
autoscale:
  - name: sched
    vm_provider: local
    agent_cores_override: 2
    agent_memory_override_gb: 4
    schedules:
      - { days: [wed], start: "15:00", end: "23:59", timezone: UTC }
      - { days: [thu], start: "00:00", end: "23:59", timezone: UTC }
      - { days: [fri], start: "00:00", end: "11:00", timezone: UTC }
`;

let root: string;
let configDir: string;
let statePath: string;
let config: Config;
let store: StateStore;
let planText: string;
let applyText: string;
const now = { ms: Date.now() };
const logLines: string[] = [];

function makeApp(): Hono {
  const record = (level: string) => (obj: object, msg?: string) => logLines.push(JSON.stringify({ level, ...obj, msg }));
  return createApp({
    store,
    getConfig: () => config,
    clock: () => now.ms,
    env: ENV,
    log: { info: record('info'), warn: record('warn'), error: record('error'), debug: record('debug') },
    isActive: (c, pool, autoscale, nowMs) => {
      const a = c.pools.find((p) => p.name === pool)?.autoscale?.find((x) => x.name === autoscale);
      return a !== undefined && isActive(a, nowMs);
    },
  });
}
let app: Hono;

function auth(key = K1): Record<string, string> {
  return { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
}
async function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = auth(),
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
}
async function get(path: string, key = K1): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await app.request(path, { headers: auth(key) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'poolform-sessions16-'));
  configDir = join(root, 'config');
  statePath = join(root, 'state', 'poolform.db');
  await import('node:fs').then((fs) => {
    fs.mkdirSync(configDir, { recursive: true });
    fs.mkdirSync(join(root, 'state'), { recursive: true });
  });
  writeFileSync(join(configDir, 'pools.yaml'), CONFIG);
  copyFileSync(fileURLToPath(new URL('../config.example/certs/corp-ca.pem', import.meta.url)), join(configDir, 'proxy-cert.pem'));
  const loaded = await loadConfig(configDir);
  if (!loaded.config) throw new Error(`fixture config invalid: ${JSON.stringify(loaded.diagnostics, null, 2)}`);
  config = loaded.config;
  const plan = await runCli(['plan', configDir, '--state', statePath], { env: ENV });
  planText = plan.stdout + plan.stderr;
  const applied = await runCli(['apply', configDir, '--state', statePath, '--auto-approve'], { env: ENV });
  applyText = applied.stdout + applied.stderr;
  if (applied.code !== 0) throw new Error(`apply failed: ${applyText}`);
  store = await createSqliteStore({ path: statePath });
  app = makeApp();
}, 120_000);

afterAll(async () => {
  await store?.close();
  await killLocalVms(join(root, 'state'));
  rmSync(root, { recursive: true, force: true });
});

describe('SSH keys and connection_info in the session answer', () => {
  it('the owner gets the pool key, its passphrase and connection_info with {sso_username}; an admin key sees the session without key material', async () => {
    const placed = await post('/api/v1/sessions', { pool: 'sshkey', user: 'alice' });
    expect(placed.status).toBe(201);
    expect(placed.body['connection']).toEqual({ username: 'alice', password: '', private_key: POOL_KEY, passphrase: POOL_KEY_PASS });
    expect(placed.body['connection_info']).toEqual({ greeting: 'hello alice', nested: { list: ['alice', 3, true] } });
    const id = String(placed.body['id']);

    const mine = await get(`/api/v1/sessions/${id}`);
    expect(mine.body['connection']).toMatchObject({ private_key: POOL_KEY, passphrase: POOL_KEY_PASS });
    expect(mine.body['connection_info']).toEqual({ greeting: 'hello alice', nested: { list: ['alice', 3, true] } });

    expect((await get(`/api/v1/sessions/${id}`, K2)).status).toBe(404); // another sessions key: not even visible
    const theirs = await get(`/api/v1/sessions/${id}`, K3);
    expect(theirs.status).toBe(200);
    expect(theirs.body['connection']).toEqual({ username: 'alice', password: '' });
    expect(theirs.body['connection_info']).toEqual({ greeting: 'hello alice', nested: { list: ['alice', 3, true] } });
    expect(theirs.text).not.toContain('PRIVATE KEY');
    expect(theirs.text).not.toContain(POOL_KEY_PASS);
  });

  it('use_user_private_key: the user sends their key (checked), it comes back to the owner only', async () => {
    const missing = await post('/api/v1/sessions', { pool: 'sshuser', user: 'bob' });
    expect(missing.status).toBe(400);
    expect(missing.body['message']).toContain('"ssh_private_key" is required');

    const pkcs8 = await post('/api/v1/sessions', { pool: 'sshuser', user: 'bob', ssh_private_key: PKCS8_KEY });
    expect(pkcs8.status).toBe(400);
    expect(pkcs8.body['message']).toContain('PKCS#8');
    expect(pkcs8.text).not.toContain(PKCS8_KEY.split('\n')[1] ?? 'x');

    const encrypted = await post('/api/v1/sessions', { pool: 'sshuser', user: 'bob', ssh_private_key: rsaKey('secret') });
    expect(encrypted.status).toBe(400);
    expect(encrypted.body['message']).toContain('encrypted');

    const notHere = await post('/api/v1/sessions', { pool: 'sshkey', user: 'bob', ssh_private_key: USER_KEY });
    expect(notHere.status).toBe(400);
    expect(notHere.body['message']).toContain('use_user_private_key');

    const placed = await post('/api/v1/sessions', { pool: 'sshuser', user: 'bob', ssh_private_key: USER_KEY });
    expect(placed.status).toBe(201);
    expect(placed.body['connection']).toEqual({ username: 'bob', password: '', private_key: USER_KEY });
    const id = String(placed.body['id']);
    expect((await get(`/api/v1/sessions/${id}`)).body['connection']).toEqual({ username: 'bob', password: '', private_key: USER_KEY });
    expect((await get(`/api/v1/sessions/${id}`, K3)).body['connection']).toEqual({ username: 'bob', password: '' });
  });
});

describe('a pool mixing user-key SSH and other connections', () => {
  it('a request without a key goes only where none is needed; a targeted one at a user-key server needs the key', async () => {
    const first = await post('/api/v1/sessions', { pool: 'mixed', user: 'm1' });
    expect(first.status).toBe(201);
    expect((first.body['server'] as Record<string, unknown>)['id']).toBe('fixed.mixed.m-rdp');
    // m-rdp is full now; the SSH server is free but needs the user's key.
    expect((await post('/api/v1/sessions', { pool: 'mixed', user: 'm2' })).status).toBe(503);
    const targeted = await post('/api/v1/sessions', { pool: 'mixed', user: 'm2', server_id: 'fixed.mixed.m-ssh' });
    expect(targeted.status).toBe(400);
    expect(targeted.body['message']).toContain('"ssh_private_key" is required');
    const withKey = await post('/api/v1/sessions', { pool: 'mixed', user: 'm2', ssh_private_key: USER_KEY });
    expect(withKey.status).toBe(201);
    expect(withKey.body['connection']).toMatchObject({ private_key: USER_KEY });
  });
});

describe('fixed docker agents (agents:)', () => {
  it('apply registers them with their size, running; sessions are placed by resources; disabled ones get none', async () => {
    const a1 = await store.getServer('fixed.containers.a1');
    expect(a1).toMatchObject({ pool: 'containers', autoscale: null, status: 'running', capacity: { cores: 4, memory_mb: 8192, gpus: 0 }, enabled: true });
    expect((await store.getServer('fixed.containers.a2'))?.enabled).toBe(false);
    const first = await post('/api/v1/sessions', { pool: 'containers', user: 'c1', workspace: 'chrome' });
    const second = await post('/api/v1/sessions', { pool: 'containers', user: 'c2', workspace: 'chrome' });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((first.body['server'] as Record<string, unknown>)['id']).toBe('fixed.containers.a1');
    const third = await post('/api/v1/sessions', { pool: 'containers', user: 'c3', workspace: 'chrome' });
    expect(third.status).toBe(503);
    // Free one again for the next tests.
    await app.request(`/api/v1/sessions/${String(second.body['id'])}`, { method: 'DELETE', headers: auth() });
  });

  it('are never destroyed: the next plan has no change for them', async () => {
    const again = await runCli(['plan', configDir, '--state', statePath], { env: ENV });
    expect(again.stdout).not.toMatch(/server\.containers\.a[12]/);
  });

  it('servers: on a docker pool and agents: on a server pool are refused by validate', async () => {
    const dir = join(root, 'bad');
    await import('node:fs').then((fs) => fs.mkdirSync(dir, { recursive: true }));
    writeFileSync(
      join(dir, 'p.yaml'),
      'kind: Pool\nname: s\ntype: server\nagents:\n  - { name: a, hostname: h, cores: 1, memory_mb: 1024 }\n---\nkind: Pool\nname: d\ntype: docker_agent\nservers:\n  - { name: x, hostname: h, connection_type: rdp }\n',
    );
    const r = await loadConfig(dir);
    expect(
      r.diagnostics
        .filter((d) => d.code === 'field-not-for-pool-type')
        .map((d) => d.path)
        .sort(),
    ).toEqual(['/agents', '/servers']);
  });
});

describe('docker agent readiness', () => {
  it('a new agent VM takes no session before it registers; {manager_token} registers it; tokens are not interchangeable', async () => {
    const agents = (await store.listServers()).filter((s) => s.pool === 'autoagents');
    expect(agents).toHaveLength(1);
    const agent = agents[0];
    if (!agent) throw new Error('no agent');
    expect(agent.status).toBe('starting');
    const before = await post('/api/v1/sessions', { pool: 'autoagents', user: 'd1', workspace: 'chrome' });
    expect(before.status).toBe(503);

    const key = await store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey);
    const checkinToken = await signCheckinToken(key, agent.id, Date.now(), HOUR);
    const managerToken = await signCheckinToken(key, agent.id, Date.now(), HOUR, MANAGER_PURPOSE);
    expect((await post('/api/v1/agents/register', {}, { Authorization: `Bearer ${checkinToken}` })).status).toBe(401);
    expect((await post(`/api/set_server_status?token=${managerToken}`, { status: 'running' }, {})).status).toBe(401);
    // A fixed server's token is no agent registration either.
    const serverToken = await signCheckinToken(key, 'fixed.rdp.r1', Date.now(), HOUR, MANAGER_PURPOSE);
    expect((await post('/api/v1/agents/register', {}, { Authorization: `Bearer ${serverToken}` })).status).toBe(401);

    const registered = await post('/api/v1/agents/register', {}, { Authorization: `Bearer ${managerToken}` });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ ok: true, server_id: agent.id, status: 'running', registered: true });
    const after = await post('/api/v1/sessions', { pool: 'autoagents', user: 'd1', workspace: 'chrome' });
    expect(after.status).toBe(201);
    expect((after.body['server'] as Record<string, unknown>)['id']).toBe(agent.id);
  });
});

describe('targeted requests (server_id)', () => {
  it('placed on the named server when usable with room, else 503 with the reason', async () => {
    const ok = await post('/api/v1/sessions', { pool: 'rdp', user: 't1', server_id: 'fixed.rdp.r1' });
    expect(ok.status).toBe(201);
    expect((ok.body['server'] as Record<string, unknown>)['id']).toBe('fixed.rdp.r1');
    const full = await post('/api/v1/sessions', { pool: 'rdp', user: 't2', server_id: 'fixed.rdp.r1' });
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ error: 'no_resources', server_id: 'fixed.rdp.r1' });
    expect(full.body['message']).toContain('server fixed.rdp.r1 is full (1 of 1 sessions)');
    const disabled = await post('/api/v1/sessions', { pool: 'rdp', user: 't2', server_id: 'fixed.rdp.r2' });
    expect(disabled.status).toBe(503);
    expect(disabled.body['message']).toContain('is disabled');
    const unknown = await post('/api/v1/sessions', { pool: 'rdp', user: 't2', server_id: 'fixed.sshkey.s1' });
    expect(unknown.status).toBe(404);
    expect(unknown.body['error']).toBe('unknown_server');
    const agent = await post('/api/v1/sessions', { pool: 'containers', user: 't3', workspace: 'chrome', server_id: 'fixed.containers.a2' });
    expect(agent.status).toBe(503);
  });

  it('a fixed server or agent may also be named by its configured name (r1 for fixed.rdp.r1)', async () => {
    // Free r1 (the test above filled it) so the name can be placed on.
    const listed = await get('/api/v1/sessions?pool=rdp');
    for (const s of listed.body['sessions'] as { id: string; server_id: string | null }[]) {
      if (s.server_id === 'fixed.rdp.r1') await app.request(`/api/v1/sessions/${s.id}`, { method: 'DELETE', headers: auth() });
    }
    const ok = await post('/api/v1/sessions', { pool: 'rdp', user: 't1', server_id: 'r1' });
    expect(ok.status).toBe(201);
    expect((ok.body['server'] as Record<string, unknown>)['id']).toBe('fixed.rdp.r1');
    const full = await post('/api/v1/sessions', { pool: 'rdp', user: 't2', server_id: 'r1' });
    expect(full.status).toBe(503);
    expect(full.body).toMatchObject({ error: 'no_resources', server_id: 'fixed.rdp.r1' });
    const agent = await post('/api/v1/sessions', { pool: 'containers', user: 't3', workspace: 'chrome', server_id: 'a2' });
    expect(agent.status).toBe(503);
    expect(agent.body).toMatchObject({ error: 'no_resources', server_id: 'fixed.containers.a2' });
    // A name of another pool's server is still unknown here.
    expect((await post('/api/v1/sessions', { pool: 'rdp', user: 't2', server_id: 's1' })).status).toBe(404);
  });

  it('queued for a starting server only in an aggressively scaling pool, then placed there when it checks in', async () => {
    const created = new Date(now.ms - 60_000).toISOString();
    await store.putServer(
      serverRecord('burst-1', {
        pool: 'rdp',
        autoscale: 'burst',
        address: 'vm.rdp.burst.burst-1',
        status: 'starting',
        max_sessions: 1,
        checked_in_at: null,
        created_at: created,
        updated_at: created,
      }),
    );
    await store.putServer(
      serverRecord('slow-1', {
        pool: 'plain',
        autoscale: 'slow',
        address: 'vm.plain.slow.slow-1',
        status: 'starting',
        max_sessions: 1,
        checked_in_at: null,
        created_at: created,
        updated_at: created,
      }),
    );

    const refused = await post('/api/v1/sessions', { pool: 'plain', user: 'q0', server_id: 'slow-1' });
    expect(refused.status).toBe(503);
    expect(refused.body['message']).toContain('still starting');

    // Queued for burst-1 only: it must not be given to another server of the pool.
    const queued = await post('/api/v1/sessions', { pool: 'rdp', user: 'q1', server_id: 'burst-1' });
    expect(queued.status).toBe(202);
    const id = String(queued.body['id']);
    expect((await get(`/api/v1/sessions/${id}`)).body).toMatchObject({ status: 'queued', target_server_id: 'burst-1' });

    const key = await store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey);
    const token = await signCheckinToken(key, 'burst-1', Date.now(), HOUR);
    const checkin = await post(`/api/set_server_status?token=${token}`, { status: 'running' }, {});
    expect(checkin.body['queued_sessions_placed']).toBe(1);
    const got = await get(`/api/v1/sessions/${id}`);
    expect(got.body['status']).toBe('running');
    expect((got.body['server'] as Record<string, unknown>)['id']).toBe('burst-1');

    // Another one queued for a starting server that then fails: it fails too, it never goes elsewhere.
    await store.putServer(
      serverRecord('burst-2', {
        pool: 'rdp',
        autoscale: 'burst',
        address: 'vm.rdp.burst.burst-2',
        status: 'starting',
        max_sessions: 1,
        checked_in_at: null,
        created_at: created,
        updated_at: created,
      }),
    );
    const doomed = await post('/api/v1/sessions', { pool: 'rdp', user: 'q2', server_id: 'burst-2' });
    expect(doomed.status).toBe(202);
    const token2 = await signCheckinToken(key, 'burst-2', Date.now(), HOUR);
    expect((await post(`/api/set_server_status?token=${token2}`, { status: 'failed' }, {})).status).toBe(200);
    const failed = await get(`/api/v1/sessions/${String(doomed.body['id'])}`);
    expect(failed.body).toMatchObject({ status: 'failed', end_reason: 'target_unavailable', target_server_id: 'burst-2' });
    expect(failed.body['message']).toContain('server burst-2 can no longer take this targeted request');
  });
});

describe('friendly_name', () => {
  it('is shown in /api/v1/status for pools, fixed servers and fixed agents, and in plan headlines', async () => {
    const status = (await get('/api/v1/status', K3)).body;
    const pools = status['pools'] as Record<string, unknown>[];
    expect(pools.find((p) => p['name'] === 'sshkey')?.['friendly_name']).toBe('SSH with the team key');
    expect(pools.find((p) => p['name'] === 'containers')?.['friendly_name']).toBe('Browser containers');
    expect(pools.find((p) => p['name'] === 'rdp')?.['friendly_name']).toBeNull();
    const servers = status['servers'] as Record<string, unknown>[];
    expect(servers.find((s) => s['id'] === 'fixed.sshkey.s1')?.['friendly_name']).toBe('Build box 1');
    expect(servers.find((s) => s['id'] === 'fixed.containers.a1')?.['friendly_name']).toBe('Rack agent 1');
    expect(servers.find((s) => s['id'] === 'fixed.rdp.r1')?.['friendly_name']).toBeNull();
    expect(planText).toContain('# server.sshkey.s1 ("Build box 1") will be created');
    expect(planText).toContain('# server.containers.a1 ("Rack agent 1") will be created');
    expect(planText).toContain('# (fixed docker agent a1 added to pool containers ("Browser containers"))');
    const list = await runCli(['servers', 'list', '--state', statePath], { env: ENV });
    expect(list.stdout).toMatch(/fixed\.sshkey\.s1\s+sshkey\s+\(fixed\).*Build box 1/);
    expect(list.stdout).toMatch(/fixed\.containers\.a1\s+containers\s+\(fixed\).*Rack agent 1/);
    const json = JSON.parse((await runCli(['servers', 'list', '--state', statePath, '--json'], { env: ENV })).stdout) as Record<string, unknown>[];
    expect(json.find((s) => s['id'] === 'fixed.containers.a1')?.['friendly_name']).toBe('Rack agent 1');
  });
});

describe('chained day schedules (23:59 → 00:00)', () => {
  it('an agent of a Wed 15:00–23:59 / Thu 00:00–23:59 / Fri 00:00–11:00 config takes sessions at 23:59:30 on Wednesday and Thursday', async () => {
    const created = '2024-01-01T00:00:00.000Z';
    await store.putServer(
      serverRecord('night-1', {
        pool: 'night',
        autoscale: 'sched',
        address: 'vm.night.sched.night-1',
        capacity: { cores: 8, memory_mb: 16384, gpus: 0 },
        max_sessions: 1_000_000,
        created_at: created,
        updated_at: created,
      }),
    );
    const saved = now.ms;
    try {
      for (const [at, expected] of [
        ['2024-01-10T23:59:30Z', 201], // Wednesday, the chained minute
        ['2024-01-11T23:59:30Z', 201], // Thursday, the chained minute
        ['2024-01-12T11:00:30Z', 503], // Friday after the end
      ] as const) {
        now.ms = Date.parse(at);
        const r = await post('/api/v1/sessions', { pool: 'night', user: `n-${at}`, workspace: 'chrome' });
        expect([at, r.status]).toEqual([at, expected]);
      }
    } finally {
      now.ms = saved;
    }
    // And validate no longer warns about the chain.
    const loaded = await loadConfig(configDir);
    expect(loaded.diagnostics.filter((d) => d.code === 'schedule-gap')).toEqual([]);
  });
});

describe('secrets of issue 16 never leak', () => {
  it('no private key, passphrase, user key or nginx key in plan/apply output, logs, status, state or errors', async () => {
    const cert = readFileSync(join(configDir, 'proxy-cert.pem'), 'utf8');
    const secrets = [POOL_KEY, POOL_KEY_PASS, USER_KEY, NGINX_KEY, cert].flatMap((s) => [s.trim(), ...s.split('\n').filter((l) => l.length > 40)]);
    const status = (await get('/api/v1/status', K3)).text;
    const dump = JSON.stringify([
      await store.listResources(),
      await store.listServers(),
      await store.listSessions({}),
      await store.listAudit(1000),
      await store.listIntents(),
    ]);
    const show = await runCli(['state', 'show', '--state', statePath], { env: ENV });
    const planJson = await runCli(['plan', configDir, '--state', statePath, '--json'], { env: ENV });
    const texts = { planText, applyText, status, dump, log: logLines.join('\n'), show: show.stdout + show.stderr, planJson: planJson.stdout };
    for (const [where, text] of Object.entries(texts)) {
      for (const s of secrets) expect(text.includes(s), `${where} leaks a secret`).toBe(false);
    }
    expect(planText).toContain('connection_private_key');
    expect(planText).toContain('(sensitive)');
  });
});
