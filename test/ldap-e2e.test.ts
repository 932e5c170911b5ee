// End to end against a real Samba AD DC: `poolform apply` on a config with a
// local VM provider and `ad_create_machine_record` pre-creates the computer
// record over LDAPS; the VM's rendered startup script holds a join credential
// that really binds as NAME$@REALM and the AD domain; the credential is kept
// out of the state store, `state pull`, plan/apply output; removing the VM
// removes the record; an orphaned record is removed; a SIGKILL between record
// creation and VM launch leaves no orphan after the next apply.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { killLocalVms, runChild, runCli } from './fixtures/plan/harness.ts';
import { canBind, requireSamba, sambaForSuite } from './support/samba.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireSamba();
const { need } = sambaForSuite(enabled, { realm: 'E2E.POOLFORM.TEST' });

interface Ws {
  root: string;
  config: string;
  state: string;
  ou: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

let ouCounter = 0;

async function workspace(minimum = 1): Promise<Ws> {
  const d = need();
  const root = mkdtempSync(join(tmpdir(), 'poolform-ldap-e2e-'));
  const config = join(root, 'config');
  const state = join(root, 'state');
  ouCounter += 1;
  const ou = await d.createOu(`E2E${ouCounter}-${process.pid}`);
  mkdirSync(config);
  writeFileSync(join(config, 'ca.pem'), d.caCertPem);
  writeFileSync(
    join(config, 'providers.yaml'),
    `kind: VmProvider
name: local
type: local
max_instances: 5
startup_script: |
  # Linux join with the pre-created record (not run here: no realmd in tests).
  # realm join --one-time-password='{ad_join_credential}' '{domain}'
  echo "host={server_hostname} domain={domain}" > info.txt
---
kind: LdapConfig
name: corp
url: ${d.url}
bind_dn: ${d.bindDn}
bind_password: \${env:AD_BIND_PASSWORD}
search_base: ${d.baseDn}
ca_cert: \${file:ca.pem}
connect_timeout_ms: 5000
timeout_ms: 20000
`,
  );
  writeFileSync(join(config, 'pool.yaml'), poolYaml(ou, minimum));
  return {
    root,
    config,
    state,
    ou,
    env: { AD_BIND_PASSWORD: d.bindPassword },
    async cleanup() {
      await killLocalVms(state);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function poolYaml(ou: string, minimum: number): string {
  return `kind: Pool
name: windows
type: server
autoscale:
  - name: joined
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    minimum_available_sessions: ${minimum}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
    hostname_prefix: win
    ad_create_machine_record: true
    ldap_config: corp
    ad_computer_container_dn: ${ou}
`;
}

const apply = (ws: Ws) => runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'], { env: ws.env });
const plan = (ws: Ws) => runCli(['plan', ws.config, '--state', ws.state], { env: ws.env });

interface Computer {
  dn: string;
  cn: string;
  description: string;
  sAMAccountName: string;
  dNSHostName: string | undefined;
  userAccountControl: string;
}

async function computersIn(ou: string): Promise<Computer[]> {
  const c = await need().adminClient();
  try {
    const { searchEntries } = await c.search(ou, {
      scope: 'one',
      filter: '(objectClass=computer)',
      attributes: ['cn', 'description', 'sAMAccountName', 'dNSHostName', 'userAccountControl'],
    });
    return searchEntries.map((e) => ({
      dn: e.dn,
      cn: String(e['cn']),
      description: String(e['description'] ?? ''),
      sAMAccountName: String(e['sAMAccountName']),
      dNSHostName: e['dNSHostName'] === undefined ? undefined : String(e['dNSHostName']),
      userAccountControl: String(e['userAccountControl']),
    }));
  } finally {
    await c.unbind();
  }
}

/** server id → { credential, domain } parsed from each local VM's rendered startup.sh. */
function renderedJoins(state: string): Map<string, { credential: string; domain: string }> {
  const out = new Map<string, { credential: string; domain: string }>();
  const dir = join(state, 'local-vms');
  if (!existsSync(dir)) return out;
  for (const id of readdirSync(dir).filter((n) => !n.startsWith('.'))) {
    const script = join(dir, id, 'startup.sh');
    if (!existsSync(script)) continue;
    const m = /--one-time-password='([^']*)' '([^']*)'/.exec(readFileSync(script, 'utf8'));
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(id, { credential: m[1], domain: m[2] });
  }
  return out;
}

/** Every file under `dir` except the VMs' startup.sh (which must hold the credential). */
function filesOutsideScripts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== 'startup.sh') out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

async function serverIdsInState(state: string): Promise<{ servers: string[]; intents: number; adResources: string[] }> {
  const store = await createSqliteStore({ path: state });
  try {
    const snap = await store.snapshot();
    return {
      servers: snap.servers
        .filter((s) => s.autoscale !== null)
        .map((s) => s.id)
        .sort(),
      intents: snap.intents.length,
      adResources: snap.resources
        .filter((r) => r.type === 'ad_computer')
        .map((r) => r.address)
        .sort(),
    };
  } finally {
    await store.close();
  }
}

const readdirSafe = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : []);

const serverIdOf = (c: Computer): string | undefined => /server-id=(\S+)/.exec(c.description)?.[1];

describe.skipIf(!enabled)('poolform apply with AD computer records against Samba', { timeout: testTimeout(180_000) }, () => {
  it('creates the record, renders a join credential that binds, keeps it out of state and output, and removes the record with the VM', async () => {
    const d = need();
    const ws = await workspace(1);
    try {
      const first = await apply(ws);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);

      const computers = await computersIn(ws.ou);
      expect(computers).toHaveLength(1);
      const computer = computers[0];
      if (!computer) return;
      const state = await serverIdsInState(ws.state);
      expect(state.servers).toHaveLength(1);
      expect(state.intents).toBe(0);
      const serverId = state.servers[0] ?? '';
      expect(computer.description).toMatch(new RegExp(`^poolform:managed server-id=${serverId} intent-id=\\S+$`));
      expect(computer.sAMAccountName).toBe(`${computer.cn}$`);
      expect(computer.userAccountControl).toBe('4096');
      expect(computer.cn.length).toBeLessThanOrEqual(15);
      expect(computer.dn).toBe(`CN=${computer.cn},${ws.ou}`);

      const joins = renderedJoins(ws.state);
      const join0 = joins.get(serverId);
      expect(join0).toBeDefined();
      if (!join0) return;
      expect(join0.domain).toBe(d.realm.toLowerCase());
      expect(join0.credential.length).toBeGreaterThanOrEqual(16);
      // The join credential really works, and only it.
      expect(await canBind(d, `${computer.cn}$@${d.realm}`, join0.credential)).toBe(true);
      expect(await canBind(d, `${computer.cn}$@${d.realm}`, `${join0.credential}-wrong`)).toBe(false);

      // Nowhere else: state files (SQLite + WAL), state pull, plan and apply output.
      for (const file of filesOutsideScripts(ws.state)) {
        expect(readFileSync(file).includes(Buffer.from(join0.credential)), file).toBe(false);
        expect(readFileSync(file).includes(Buffer.from(join0.credential, 'utf16le')), file).toBe(false);
      }
      const pull = await runCli(['state', 'pull', '--state', ws.state], { env: ws.env });
      expect(pull.code).toBe(0);
      expect(pull.stdout).toContain(computer.cn.toLowerCase());
      const again = await plan(ws);
      expect(again.stdout).toContain('No changes.');
      for (const text of [first.stdout, first.stderr, pull.stdout, pull.stderr, again.stdout, again.stderr]) {
        expect(text).not.toContain(join0.credential);
        expect(text).not.toContain(d.bindPassword);
      }

      // Removing the VM removes the record.
      writeFileSync(join(ws.config, 'pool.yaml'), poolYaml(ws.ou, 0));
      const down = await apply(ws);
      expect(down.code).toBe(0);
      expect(down.stdout).not.toContain(join0.credential);
      expect(await computersIn(ws.ou)).toEqual([]);
      expect((await serverIdsInState(ws.state)).adResources).toEqual([]);
      expect(await canBind(d, `${computer.cn}$@${d.realm}`, join0.credential)).toBe(false);
    } finally {
      await ws.cleanup();
    }
  });

  it('an orphaned poolform record is shown in plan and removed by apply; a foreign record is left alone', async () => {
    const d = need();
    const ws = await workspace(0);
    try {
      const c = await d.adminClient();
      const orphan = 'WIN-ORPHAN1';
      const foreign = 'HANDMADE1';
      try {
        await c.add(`CN=${orphan},${ws.ou}`, [
          new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
          new Attribute({ type: 'sAMAccountName', values: [`${orphan}$`] }),
          new Attribute({ type: 'userAccountControl', values: ['4096'] }),
          new Attribute({ type: 'description', values: ['poolform:managed server-id=ghost0000001 intent-id=intent-ghost'] }),
        ]);
        await c.add(`CN=${foreign},${ws.ou}`, [
          new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
          new Attribute({ type: 'sAMAccountName', values: [`${foreign}$`] }),
          new Attribute({ type: 'userAccountControl', values: ['4096'] }),
          new Attribute({ type: 'description', values: ['made by an admin'] }),
        ]);
      } finally {
        await c.unbind();
      }
      const shown = await plan(ws);
      expect(shown.code).toBe(0);
      expect(shown.stdout.toLowerCase()).toContain(orphan.toLowerCase());
      expect(shown.stdout.toLowerCase()).not.toContain(foreign.toLowerCase());
      const done = await apply(ws);
      expect(done.code).toBe(0);
      expect((await computersIn(ws.ou)).map((x) => x.cn)).toEqual([foreign]);
      expect((await plan(ws)).stdout).toContain('No changes.');
    } finally {
      await ws.cleanup();
    }
  });

  it('misconfigured directory access is reported clearly by plan and apply, without the password', async () => {
    const d = need();
    const ws = await workspace(1);
    try {
      // Wrong bind password: plan and apply name bind_dn/bind_password; nothing is created.
      const wrong = `Wrong-${process.pid}-Pw1!`;
      const badEnv = { AD_BIND_PASSWORD: wrong };
      const shown = await runCli(['plan', ws.config, '--state', ws.state], { env: badEnv });
      const applied = await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'], { env: badEnv });
      for (const run of [shown, applied]) {
        expect(`${run.stdout}${run.stderr}`).toContain('check bind_dn and bind_password');
        expect(`${run.stdout}${run.stderr}`).not.toContain(wrong);
      }
      // Nothing is created that needs the record (a VM without its record could not join).
      expect(await computersIn(ws.ou)).toEqual([]);
      expect(readdirSafe(join(ws.state, 'local-vms'))).toEqual([]);

      // A plain ldap:// URL is refused before anything runs, with the reason.
      const providers = join(ws.config, 'providers.yaml');
      writeFileSync(providers, readFileSync(providers, 'utf8').replace(d.url, d.url.replace('ldaps://', 'ldap://').replace(':636', ':389')));
      const plain = await runCli(['plan', ws.config, '--state', ws.state], { env: ws.env });
      expect(plain.code).not.toBe(0);
      expect(`${plain.stdout}${plain.stderr}`).toMatch(/ldaps-required.*must use ldaps:\/\/.*AD refuses to set passwords over plain LDAP/);
    } finally {
      await ws.cleanup();
    }
  });

  it('SIGKILL between record creation and VM launch: the next apply reuses or cleans the record, no orphans', async () => {
    const d = need();
    for (const n of [1, 2]) {
      const ws = await workspace(1);
      try {
        // Mutating provider calls in order: directory.create (1), vm.create (2).
        const crashed = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve'], { ...ws.env, POOLFORM_CRASH_AFTER: String(n) });
        expect(crashed.signal).toBe('SIGKILL');
        expect(await computersIn(ws.ou)).toHaveLength(1);

        const again = await apply(ws);
        expect(again.code).toBe(0);
        const state = await serverIdsInState(ws.state);
        expect(state.intents).toBe(0);
        expect(state.servers).toHaveLength(1);
        const computers = await computersIn(ws.ou);
        // No orphan: exactly one record, owned by the one live server, and its rendered credential binds.
        expect(computers.map(serverIdOf)).toEqual(state.servers);
        const computer = computers[0];
        const joinInfo = renderedJoins(ws.state).get(state.servers[0] ?? '');
        expect(joinInfo).toBeDefined();
        if (computer && joinInfo) expect(await canBind(d, `${computer.cn}$@${d.realm}`, joinInfo.credential)).toBe(true);
        expect((await plan(ws)).stdout).toContain('No changes.');
      } finally {
        await ws.cleanup();
      }
    }
  });
});
