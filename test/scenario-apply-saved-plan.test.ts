// Scenario: the pull-request workflow next to a running `serve`. A plan is saved
// from the PR's config (`plan -out`), reviewed, and applied at merge
// (`apply FILE`) while `serve` keeps reconciling the main config and servers
// keep checking in. A check-in is runtime data and must not make the saved plan
// stale; a VM that serve creates meanwhile is a real infrastructure change and
// must.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { killLocalVms, localVmIds, makeWorkspace, runCli } from './fixtures/plan/harness.ts';
import { type ServeProcess, postJson, startServeProcess, waitFor } from './serve-process.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const ENV = { DESKTOP_PASSWORD: 'pw-Sekr1t-value' };

function config(min: number, fixedPort: number): string {
  return `kind: Settings
apply_policy: auto
reconcile_interval: 1s
---
kind: VmProvider
name: local
type: local
max_instances: 6
startup_script: |
  echo "{checkin_jwt}" > jwt.txt
---
kind: DnsProvider
name: hosts
type: local
ttl: 60
---
kind: Pool
name: desktops
type: server
servers:
  - name: legacy1
    hostname: 10.0.0.5
    connection_type: rdp
    connection_port: ${fixedPort}
autoscale:
  - name: day
    vm_provider: local
    dns_provider: hosts
    register_dns: true
    base_domain_name: desk.example.test
    connection_type: rdp
    connection_port: 3389
    connection_username: admin
    connection_password: \${env:DESKTOP_PASSWORD}
    minimum_available_sessions: ${min}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: true
`;
}

let root: string;
let main: string;
let pr: string;
let state: string;
let serve: ServeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'poolform-scenario-'));
  main = join(root, 'main');
  pr = join(root, 'pr');
  state = join(root, 'state');
  cpSync(join(import.meta.dirname, 'fixtures', 'plan', 'basic'), main, { recursive: true });
  rmSync(join(main, 'pool.yaml'));
  rmSync(join(main, 'providers.yaml'));
  writeFileSync(join(main, 'all.yaml'), config(2, 3389));
  // The PR changes the fixed server's port: an update that serve (on main) does not make.
  cpSync(main, pr, { recursive: true });
  writeFileSync(join(pr, 'all.yaml'), config(2, 3390));
});

afterAll(async () => {
  await serve?.stop('SIGTERM');
  await killLocalVms(state);
  rmSync(root, { recursive: true, force: true });
});

async function serial(): Promise<number> {
  const store = await createSqliteStore({ path: join(state, 'poolform.db') });
  try {
    return (await store.meta()).serial;
  } finally {
    await store.close();
  }
}

async function serverStatuses(): Promise<string[]> {
  const store = await createSqliteStore({ path: join(state, 'poolform.db') });
  try {
    return (await store.listServers()).filter((s) => s.autoscale !== null).map((s) => s.status);
  } finally {
    await store.close();
  }
}

describe('saved plan next to a running serve', () => {
  it(
    'a check-in between plan and apply keeps the plan valid; a VM created by serve makes it stale',
    async () => {
      expect((await runCli(['apply', main, '--state', state, '--auto-approve'], { env: ENV })).code).toBe(0);
      serve = await startServeProcess({ dir: main, stateDir: state, env: ENV });
      // Let serve reconcile a few times (interval 1s): with nothing to do it must not move the serial.
      const settled = await serial();
      await new Promise((r) => setTimeout(r, 2500));
      expect(await serial()).toBe(settled);

      const file = join(root, 'pr.plan');
      const planned = await runCli(['plan', pr, '--state', state, '-out', file, '--lock-timeout', '20s'], { env: ENV });
      expect(planned.code, planned.stderr).toBe(0);
      expect(planned.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');

      // Both VMs check in through serve's API with the token their startup script received.
      const { readdirSync } = await import('node:fs');
      const ids = readdirSync(join(state, 'local-vms')).filter((n) => !n.startsWith('.'));
      expect(ids).toHaveLength(2);
      for (const id of ids) {
        const jwt = readFileSync(join(state, 'local-vms', id, 'jwt.txt'), 'utf8').trim();
        const res = await postJson(`${serve.url}/api/set_server_status?token=${jwt}`, { status: 'running', status_message: 'ok', status_progress: 100 });
        expect(res.status).toBe(200);
      }
      expect(await serverStatuses()).toEqual(['running', 'running']);
      expect(await serial()).toBe(settled);

      // serve reconciles every second under the state lock: wait for it rather than fail.
      const applied = await runCli(['apply', file, '--lock-timeout', '20s'], { env: ENV });
      expect(applied.stderr).not.toContain('stale');
      expect(applied.code, applied.stderr).toBe(0);

      // Second PR plan, then serve scales up (main's config now wants a third server).
      const file2 = join(root, 'pr2.plan');
      writeFileSync(join(pr, 'all.yaml'), config(2, 3391));
      expect((await runCli(['plan', pr, '--state', state, '-out', file2, '--lock-timeout', '20s'], { env: ENV })).code).toBe(0);
      writeFileSync(join(main, 'all.yaml'), config(3, 3389));
      await waitFor(async () => (await serverStatuses()).length === 3, 20_000, 'serve to create a third VM');
      const stale = await runCli(['apply', file2, '--lock-timeout', '20s'], { env: ENV });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('Saved plan is stale');
    },
    testTimeout(60_000),
  );
});

describe('saved plan and the config it was made from', () => {
  it('refuses when the config changed since the plan was made; comments and a moved checkout do not count', async () => {
    const ws = makeWorkspace('basic');
    try {
      const file = join(ws.root, 'tfplan');
      expect((await runCli(['plan', ws.config, '--state', ws.state, '-out', file], { env: ENV })).code).toBe(0);
      const pool = join(ws.config, 'pool.yaml');
      const original = readFileSync(pool, 'utf8');
      // Someone edits the startup-relevant settings after the review.
      writeFileSync(pool, original.replace('connection_port: 3389\n    connection_username', 'connection_port: 3390\n    connection_username'));
      const refused = await runCli(['apply', file], { env: ENV });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`Saved plan is stale: the configuration in ${ws.config} changed since the plan was made`);
      expect(localVmIds(ws.state)).toEqual([]);
      // A comment is not a change.
      writeFileSync(pool, `# reviewed in PR 42\n${original}`);
      const applied = await runCli(['apply', file], { env: ENV });
      expect(applied.code, applied.stderr).toBe(0);
      expect(localVmIds(ws.state)).toHaveLength(2);
    } finally {
      await ws.cleanup();
    }
  });
});
