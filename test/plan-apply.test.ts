// plan → apply → plan on the embedded state store and the local providers,
// through the CLI (in-process: the same code bin/poolform.js runs).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyCheckinToken, CHECKIN_KEY_NAME } from '../src/auth/checkin-token.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { StateStore } from '../src/state/types.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { freePort } from './support/net.ts';
import { BASE_ENV, localDnsRecords, localVmIds, makeWorkspace, removeDir, runCli } from './fixtures/plan/harness.ts';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace('basic');
});
afterEach(async () => {
  await ws.cleanup();
});

async function withStore<T>(fn: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const plan = (...extra: string[]) => runCli(['plan', ws.config, '--state', ws.state, ...extra]);
const apply = (...extra: string[]) => runCli(['apply', ws.config, '--state', ws.state, '--auto-approve', ...extra]);

describe('plan', () => {
  it('shows creates with reasons, secrets as (sensitive), and a summary; --detailed-exitcode 2', async () => {
    const r = await plan('--detailed-exitcode');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Plan: 5 to add, 0 to change, 0 to destroy.');
    expect(r.stdout).toMatch(/\+ vm\.desktops\.day\.[a-z2-7]{8} \{/);
    expect(r.stdout).toContain('+ server.desktops.legacy1 {');
    expect(r.stdout).toContain('# (scale-up: 0 sessions available, 2 wanted (minimum_available_sessions))');
    expect(r.stdout).toContain('connection_password = (sensitive)');
    expect(r.stdout).not.toContain(BASE_ENV['DESKTOP_PASSWORD']);
  });

  it('--json is shaped like terraform show -json', async () => {
    const r = await plan('--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc['format_version']).toBe('1.0');
    expect(typeof doc['lineage']).toBe('string');
    expect(doc['serial']).toBe(0);
    expect(doc['resource_drift']).toEqual([]);
    const changes = doc['resource_changes'] as Array<Record<string, unknown>>;
    expect(changes).toHaveLength(5);
    for (const c of changes) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['address', 'type', 'name', 'change', 'action_reason']));
      const change = c['change'] as Record<string, unknown>;
      expect(change['actions']).toEqual(['create']);
      expect(change['before']).toBeNull();
      expect(typeof change['after']).toBe('object');
    }
    expect(changes.map((c) => c['type']).sort()).toEqual(['dns_record', 'dns_record', 'server', 'vm', 'vm']);
    expect(r.stdout).not.toContain(BASE_ENV['DESKTOP_PASSWORD']);
  });

  it('--format markdown renders a pull-request comment; --lock=false plans while another holds the lock', async () => {
    const md = await plan('--format', 'markdown');
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('Plan: 5 to add, 0 to change, 0 to destroy.');
    expect(md.stdout).not.toContain(BASE_ENV['DESKTOP_PASSWORD']);
    await withStore(async (store) => {
      await store.acquireLock({ id: 'held', operation: 'apply', pid: process.pid, host: 'other-host', since: new Date().toISOString() }, { waitMs: 0 });
    });
    const locked = await plan();
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('state is locked by apply');
    const unlocked = await plan('--lock=false');
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain('Plan: 5 to add');
  });

  it('--at decides for another instant', async () => {
    const r = await plan('--at', '2030-01-07T09:00:00Z', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { at: string };
    expect(doc.at).toBe('2030-01-07T09:00:00.000Z');
  });

  it('rejects a bad --at and a bad flag value as usage errors', async () => {
    expect((await plan('--at', 'yesterday')).code).toBe(2);
    expect((await plan('--refresh=maybe')).code).toBe(2);
  });

  it('reports an invalid config with its diagnostics', async () => {
    writeFileSync(join(ws.config, 'broken.yaml'), 'kind: Pool\nname: x\n');
    const r = await plan();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('broken.yaml');
  });
});

describe('apply', () => {
  it('creates everything, renders the startup script, and a following plan says No changes.', async () => {
    const r = await apply();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Apply complete! Resources: 5 added, 0 changed, 0 destroyed.');

    const ids = localVmIds(ws.state);
    expect(ids).toHaveLength(2);
    const dns = localDnsRecords(ws.state);
    expect([...dns.values()].sort()).toEqual(ids);

    const again = await plan('--detailed-exitcode');
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);

    await withStore(async (store) => {
      const snap = await store.snapshot();
      expect(snap.intents).toEqual([]);
      expect(
        snap.resources
          .map((x) => x.address)
          .filter((a) => a.startsWith('vm.'))
          .sort(),
      ).toEqual(ids.map((id) => `vm.desktops.day.${id}`));
      const servers = snap.servers.filter((s) => s.autoscale !== null);
      // require_checkin: false → usable at once.
      expect(servers.map((s) => s.status)).toEqual(['running', 'running']);
      expect(snap.servers.find((s) => s.id === 'fixed.desktops.legacy1')?.status).toBe('running');
      expect(snap.history['desktops/day']?.last_create_at).not.toBeNull();
      const audit = await store.listAudit(50);
      expect(audit.filter((a) => a.action === 'create')).toHaveLength(5);

      // The startup script got the reference's variables, and a valid per-server check-in JWT.
      const key = await store.getOrCreateSecret(CHECKIN_KEY_NAME, () => 'unused');
      for (const id of ids) {
        const dir = join(ws.state, 'local-vms', id);
        const script = readFileSync(join(dir, 'startup.sh'), 'utf8');
        expect(script).toContain(`id=${id} `);
        expect(script).toContain(`fqdn=desktop-${id.slice(0, 7)}.desk.example.test`);
        expect(script).toContain('provider=local upstream=127.0.0.1:8080 user=admin');
        expect(script).toContain(`pass=${BASE_ENV['DESKTOP_PASSWORD']}`);
        const jwt = script.split('\n')[1]?.replace(/^echo "|" > jwt.txt$/g, '') ?? '';
        expect(await verifyCheckinToken(key, jwt, Date.now())).toBe(id);
      }
    });
    // No secret in the state database.
    const db = readFileSync(join(ws.state, 'poolform.db'));
    expect(db.includes(Buffer.from(BASE_ENV['DESKTOP_PASSWORD'] ?? ''))).toBe(false);
  });

  it('refuses without a terminal and without --auto-approve, and asks on a terminal', async () => {
    const refused = await runCli(['apply', ws.config, '--state', ws.state]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--auto-approve');
    expect(localVmIds(ws.state)).toEqual([]);

    const no = await runCli(['apply', ws.config, '--state', ws.state], { tty: true, input: 'no' });
    expect(no.stdout).toContain("Only 'yes' will be accepted");
    expect(no.stdout).toContain('Apply cancelled.');
    expect(no.code).toBe(1);
    expect(localVmIds(ws.state)).toEqual([]);

    const yes = await runCli(['apply', ws.config, '--state', ws.state], { tty: true, input: 'yes' });
    expect(yes.code).toBe(0);
    expect(localVmIds(ws.state)).toHaveLength(2);
  });

  it("a VM deleted behind poolform's back shows as drift and is replaced", async () => {
    await apply();
    const [victim] = localVmIds(ws.state);
    if (!victim) throw new Error('no VM');
    removeDir(join(ws.state, 'local-vms', victim));

    const p = await plan('--detailed-exitcode');
    expect(p.code).toBe(2);
    expect(p.stdout).toContain('changed outside poolform');
    expect(p.stdout).toContain(`# vm.desktops.day.${victim} has been deleted`);
    expect(p.stdout).toContain(`-/+ vm.desktops.day.${victim} {`);

    // Without a refresh, state is trusted: nothing to do.
    expect((await plan('--refresh=false')).stdout).toContain('No changes.');

    expect((await apply()).code).toBe(0);
    expect(localVmIds(ws.state)).toHaveLength(2);
    expect(localVmIds(ws.state)).toContain(victim);
    expect((await plan()).stdout).toContain('No changes.');
  });

  it('saved plans: show, apply exactly them, and refuse them once stale', async () => {
    const file = join(ws.root, 'tfplan');
    const p = await runCli(['plan', ws.config, '--state', ws.state, '-out', file]);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`poolform apply ${file}`);
    const saved = readFileSync(file, 'utf8');
    expect(saved).not.toContain(BASE_ENV['DESKTOP_PASSWORD']);
    const planned = (JSON.parse(saved) as { plan: { changes: Array<{ address: string }> } }).plan.changes.map((c) => c.address);

    const shown = await runCli(['show', file]);
    expect(shown.stdout).toContain('Plan: 5 to add, 0 to change, 0 to destroy.');
    const shownJson = JSON.parse((await runCli(['show', file, '--json'])).stdout) as { resource_changes: Array<{ address: string }> };
    expect(shownJson.resource_changes.map((c) => c.address)).toEqual(planned);

    const applied = await runCli(['apply', file]);
    expect(applied.code).toBe(0);
    // Exactly the server ids the plan generated.
    expect(localVmIds(ws.state).map((id) => `vm.desktops.day.${id}`)).toEqual(planned.filter((a) => a.startsWith('vm.')));

    const stale = await runCli(['apply', file]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('Saved plan is stale');
    expect(localVmIds(ws.state)).toHaveLength(2);

    const bad = join(ws.root, 'not-a-plan');
    writeFileSync(bad, '{"hello": 1}');
    const invalid = await runCli(['show', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('not a poolform saved plan');
  });

  it('-out=FILE and --out FILE save the plan too', async () => {
    const a = join(ws.root, 'a.plan');
    const b = join(ws.root, 'b.plan');
    expect((await runCli(['plan', ws.config, '--state', ws.state, `-out=${a}`])).code).toBe(0);
    expect((await runCli(['plan', '--out', b, ws.config, '--state', ws.state])).code).toBe(0);
    expect((await runCli(['show', a])).code).toBe(0);
    expect((await runCli(['show', b])).code).toBe(0);
  });

  it('re-checks sessions under the lock and never destroys a busy server', async () => {
    await apply();
    const ids = localVmIds(ws.state);
    // Scale to zero: both VMs planned for destroy; a session arrives after the plan was saved.
    const pool = join(ws.config, 'pool.yaml');
    writeFileSync(pool, readFileSync(pool, 'utf8').replace('minimum_available_sessions: 2', 'minimum_available_sessions: 0'));
    const file = join(ws.root, 'down.plan');
    const p = await runCli(['plan', ws.config, '--state', ws.state, '-out', file]);
    expect(p.stdout).toContain('Plan: 0 to add, 0 to change, 4 to destroy.');
    const busy = ids[0] ?? '';
    await withStore(async (store) => {
      await store.putSession({
        id: 'sess-1',
        pool: 'desktops',
        user: 'alice',
        zone: null,
        workspace: null,
        server_id: busy,
        status: 'running',
        resources: null,
        staged: false,
        staging: null,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
        last_keepalive_at: new Date().toISOString(),
        ended_at: null,
        end_reason: null,
        api_key: null,
      });
    });
    const r = await runCli(['apply', file]);
    expect(r.code).toBe(0);
    // DNS record → VM in reverse order: the busy server's record is checked first and stays, and so does its VM.
    expect(r.stdout).toContain(`skipped: server ${busy} has 1 active session: its record stays`);
    expect(r.stdout).toMatch(new RegExp(`vm\\.desktops\\.day\\.${busy}: skipped: dns\\.\\S+ was not applied: server ${busy} has 1 active session`));
    expect(r.stdout).toContain('Skipped:');
    expect(localVmIds(ws.state)).toEqual([busy]);
    expect([...localDnsRecords(ws.state).values()]).toEqual([busy]);
  });

  it('--target limits the plan to an address prefix and its dependencies', async () => {
    const r = await plan('--target', 'server.desktops');
    expect(r.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    const a = await apply('--target', 'server.desktops.legacy1');
    expect(a.stdout).toContain('1 added');
    expect(localVmIds(ws.state)).toEqual([]);
  });

  it('removing the pool destroys its VMs and records', async () => {
    await apply();
    writeFileSync(join(ws.config, 'pool.yaml'), '');
    removeDir(join(ws.config, 'pool.yaml'));
    writeFileSync(
      join(ws.config, 'pool.yaml'),
      'kind: Pool\nname: other\ntype: server\nservers:\n  - name: s1\n    hostname: 10.1.1.1\n    connection_type: ssh\n',
    );
    // Removed config: idle servers are destroyed (or drained then destroyed); repeat until converged.
    for (let i = 0; i < 3; i++) {
      const r = await apply();
      expect(r.code).toBe(0);
    }
    expect(localVmIds(ws.state)).toEqual([]);
    expect(localDnsRecords(ws.state).size).toBe(0);
    const p = await plan();
    expect(p.stdout).toContain('No changes.');
    await withStore(async (store) => {
      expect((await store.listResources()).map((r) => r.address)).toEqual(['server.other.s1']);
    });
  });

  it('a held state lock makes apply fail at once naming the holder', async () => {
    await withStore(async (store) => {
      await store.acquireLock({ id: 'lock-1', operation: 'apply', pid: process.pid, host: 'elsewhere', since: new Date().toISOString() }, { waitMs: 0 });
    });
    const r = await apply();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/locked by apply \(pid \d+ on elsewhere/);
    const waited = Date.now();
    const r2 = await apply('--lock-timeout', '1s');
    expect(r2.code).toBe(1);
    expect(Date.now() - waited).toBeGreaterThanOrEqual(900);
    expect((await runCli(['force-unlock', 'lock-1', '--state', ws.state])).code).toBe(0);
    expect((await apply()).code).toBe(0);
  });
});

describe('apply TARGET', () => {
  it('a path that is neither a plan file nor a config directory is reported as such', async () => {
    for (const args of [
      ['apply', 'nope.plan'],
      ['apply', 'nope.plan', '--auto-approve'],
      ['apply', 'missing-dir/'],
    ]) {
      const r = await runCli(args, { cwd: ws.root });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`no such plan file or config directory: ${args[1]}`);
      expect(r.stderr).not.toContain('does not exist');
    }
  });
});

describe('a provider that cannot be observed', () => {
  it('plan prints the error, never claims the pools match, and exits 1 (also with --detailed-exitcode); apply refuses', async () => {
    expect((await apply()).code).toBe(0);
    // Now the pool also wants AD computer records, from a directory nobody listens on.
    const port = await freePort();
    const poolFile = join(ws.config, 'pool.yaml');
    writeFileSync(
      poolFile,
      readFileSync(poolFile, 'utf8').replace(
        '    require_checkin: false\n',
        '    require_checkin: false\n    ad_create_machine_record: true\n    ldap_config: corp\n    ad_computer_container_dn: OU=Desktops,DC=corp,DC=example,DC=test\n',
      ),
    );
    writeFileSync(
      join(ws.config, 'ldap.yaml'),
      `kind: LdapConfig\nname: corp\nurl: ldaps://127.0.0.1:${port}\nbind_dn: CN=svc,DC=corp,DC=example,DC=test\nbind_password: \${env:BIND_PW}\nsearch_base: DC=corp,DC=example,DC=test\nconnect_timeout_ms: 2000\n`,
    );
    const env = { BIND_PW: 'bind-Pw-1' };
    for (const extra of [[], ['--detailed-exitcode']]) {
      const r = await runCli(['plan', ws.config, '--state', ws.state, ...extra], { env });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/Error \[provider-unobserved\]: LdapConfig corp \(OU=Desktops,DC=corp,DC=example,DC=test\) could not be observed: /);
      expect(r.stdout).not.toContain('Your pools match');
      expect(r.stdout).toContain('No changes. But the plan has errors (above)');
      expect(r.stderr).toContain('error [plan-errors]: the plan has 1 error to fix first');
    }
    const json = await runCli(['plan', ws.config, '--state', ws.state, '--json'], { env });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { fatal_errors: string[] }).fatal_errors[0]).toContain('could not be observed');
    const r = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Nothing was applied.');
    // --refresh=false plans from state alone (no observe): allowed.
    expect((await runCli(['plan', ws.config, '--state', ws.state, '--refresh=false'], { env })).stdout).not.toContain('could not be observed');
  });
});
