// Security review, end to end through the CLI (main(), in process): a config
// whose every kind of secret (env and file references: connection password,
// SSH private key and passphrase, AWS secret key, LDAP bind password, nginx
// key, API key) holds a distinctive value, and every output channel is
// searched for those values: validate (text/json/github), plan (text, --json,
// --format markdown, -out file), show, apply, state pull and the SQLite file.
// (The AWS provider and the LDAP config are declared but unused, so plan never
// needs to reach them: their secrets are checked through validate and the
// plan's own config echo.)
// The local VM's startup script legitimately holds {connection_password} and
// {checkin_jwt}: it must be private to the owner (0700/0600) instead.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/cli/context.ts';
import { main } from '../src/cli/main.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const ENV = {
  SEC_API_KEY: 'ApiKey-Leak-Probe-1a',
  SEC_AWS_AKID: 'AKIALEAKPROBE1B',
  SEC_AWS_SECRET: 'AwsSecret-Leak-Probe-1c',
  SEC_LDAP_PW: 'LdapPw-Leak-Probe-1d',
  SEC_CONN_PW: 'ConnPw-Leak-Probe-1e',
  SEC_PASSPHRASE: 'Passphrase-Leak-Probe-1f',
  SEC_VNC_PW: 'VncPw-Leak-Probe-20',
};

let root: string;
let cfg: string;
let state: string;
let probes: string[];

function capture(cwd: string): CliContext & { out: () => string } {
  let out = '';
  return {
    stdout: { write: (s: string) => void (out += s) },
    stderr: { write: (s: string) => void (out += s) },
    env: { ...ENV },
    cwd,
    stdinIsTTY: false,
    readLine: async () => '',
    exitCode: 0,
    out: () => out,
  };
}

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const ctx = capture(root);
  const code = await main(['node', 'poolform', ...args], ctx);
  return { code, out: ctx.out() };
}

function expectNoSecret(text: string, where: string): void {
  for (const p of probes) expect(text.includes(p), `${where} contains ${p.slice(0, 24)}`).toBe(false);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'poolform-leak-'));
  cfg = join(root, 'cfg');
  state = join(root, 'state');
  mkdirSync(join(cfg, 'keys'), { recursive: true });
  const ssh = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const nginx = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(join(cfg, 'keys', 'id_rsa'), ssh);
  writeFileSync(join(cfg, 'keys', 'nginx.key'), nginx);
  // A line from the middle of each PEM is as distinctive as any password.
  probes = [...Object.values(ENV), ssh.split('\n')[3] ?? '', nginx.split('\n')[3] ?? ''].filter((p) => p.length > 10);
  writeFileSync(
    join(cfg, 'all.yaml'),
    `kind: Settings
api_keys:
  - name: portal
    secret: \${env:SEC_API_KEY}
apply_policy: auto
---
kind: Zone
name: local
---
kind: VmProvider
name: local
type: local
max_instances: 3
boot_delay: 0s
cores: 4
memory_mb: 8192
startup_script: |
  #!/bin/sh
  echo "{server_id} {connection_password}" > /dev/null
---
kind: VmProvider
name: aws
type: aws
aws_region: us-east-1
aws_ec2_ami_id: ami-0123456789abcdef0
aws_ec2_instance_type: t3.large
max_instances: 1
access_key_id: \${env:SEC_AWS_AKID}
secret_access_key: \${env:SEC_AWS_SECRET}
endpoint: http://127.0.0.1:9
startup_script: "echo {server_id}"
---
kind: LdapConfig
name: ad
url: ldaps://127.0.0.1:9
bind_dn: cn=svc,DC=corp,DC=example,DC=com
bind_password: \${env:SEC_LDAP_PW}
search_base: DC=corp,DC=example,DC=com
tls_insecure_skip_verify: true
---
kind: Workspace
name: ws
image: x/y:1
cores: 1
memory_mb: 1024
---
kind: Pool
name: desk
type: server
autoscale:
  - name: a
    vm_provider: local
    zone: local
    connection_type: rdp
    connection_port: 3389
    connection_username: admin
    connection_password: \${env:SEC_CONN_PW}
    minimum_available_sessions: 1
servers:
  - name: f1
    hostname: 127.0.0.1
    connection_type: ssh
    connection_port: 22
    connection_username: root
    connection_private_key: \${file:keys/id_rsa}
    connection_passphrase: \${env:SEC_PASSPHRASE}
  - name: f2
    hostname: 127.0.0.3
    connection_type: vnc
    connection_port: 5901
    connection_password: \${env:SEC_VNC_PW}
---
kind: Pool
name: agents
type: docker_agent
autoscale:
  - name: s
    vm_provider: local
    zone: local
    standby_cores: 1
    nginx_key: \${file:keys/nginx.key}
`,
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('no secret value in any CLI output channel', () => {
  it('validate: text, json, github', async () => {
    for (const format of ['text', 'json', 'github']) {
      const r = await run('validate', cfg, '--format', format);
      expect(r.code, r.out).toBe(0);
      expectNoSecret(r.out, `validate --format ${format}`);
    }
  });

  it('plan (text, json, markdown, saved file), show, apply, state pull, the state files', { timeout: testTimeout(120_000) }, async () => {
    const saved = join(root, 'saved.plan');
    for (const args of [[], ['--json'], ['--format', 'markdown'], ['-out', saved]]) {
      const r = await run('plan', cfg, '--state', state, ...args);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(args[0] === '--json' ? '"resource_changes"' : 'desk');
      expectNoSecret(r.out, `plan ${args.join(' ')}`);
    }
    expectNoSecret(readFileSync(saved, 'utf8'), 'saved plan file');
    expect(statSync(saved).mode & 0o077).toBe(0);
    for (const args of [[saved], [saved, '--json']]) {
      const r = await run('show', ...args);
      expect(r.code, r.out).toBe(0);
      expectNoSecret(r.out, `show ${args.join(' ')}`);
    }
    const applied = await run('apply', saved, '--state', state, '--auto-approve');
    expectNoSecret(applied.out, 'apply');
    const pulled = await run('state', 'pull', '--state', state);
    expect(pulled.code, pulled.out).toBe(0);
    expectNoSecret(pulled.out, 'state pull');

    // The SQLite files, byte for byte (WAL included).
    for (const f of readdirSync(state).filter((n) => n.startsWith('poolform.db'))) {
      expectNoSecret(readFileSync(join(state, f)).toString('latin1'), `state file ${f}`);
    }
    // Local VMs: the rendered script holds the connection password by design; only the owner may read it.
    const vms = join(state, 'local-vms');
    const ids = readdirSync(vms);
    expect(ids.length).toBeGreaterThan(0);
    // The probes are live: the desk VM's script really carries the password (so a leak would be seen).
    expect(ids.some((id) => readFileSync(join(vms, id, 'startup.sh'), 'utf8').includes(ENV.SEC_CONN_PW))).toBe(true);
    for (const id of ids) {
      expect(statSync(join(vms, id)).mode & 0o077, `${id}/`).toBe(0);
      for (const f of readdirSync(join(vms, id))) {
        const path = join(vms, id, f);
        expect(statSync(path).mode & 0o077, `${id}/${f}`).toBe(0);
        if (f !== 'startup.sh') expectNoSecret(readFileSync(path, 'utf8'), `${id}/${f}`);
      }
    }
  });
});
