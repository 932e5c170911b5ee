// Security review of the config layer: validate's output (text excerpts, json,
// github annotations) never echoes a plaintext secret, whatever the diagnostic;
// secret-reference errors name the reference, never a value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../src/config/format.ts';
import { loadConfig } from '../src/config/load.ts';
import { MASK, maskSecretLine, secretFieldNames } from '../src/config/secret-fields.ts';
import { resolveSecret } from '../src/config/secrets.ts';

const SECRETS = [
  'PlainConn-S3cr3t',
  'PlainAws-S3cr3t',
  'PlainLdap-S3cr3t',
  '98765431007',
  'FlowKey-S3cr3t',
  'DbPw-S3cr3t',
  'NestedPw-S3cr3t',
  'PemBody-S3cr3t',
];

const CONFIG = `kind: Settings
api_keys:
  - { name: portal, secret: FlowKey-S3cr3t }
state:
  backend: postgres
  url: postgres://poolform:DbPw-S3cr3t@db.example.com/poolform
---
kind: VmProvider
name: aws
type: aws
aws_region: us-east-1
aws_ec2_ami_id: ami-0123456789abcdef0
aws_ec2_instance_type: t3.large
max_instances: 2
access_key_id: AKIAEXAMPLE
secret_access_key: PlainAws-S3cr3t
startup_script: "echo {server_id}"
---
kind: LdapConfig
name: ad
url: ldaps://dc.example.com:636
bind_dn: cn=svc
bind_password: "PlainLdap-S3cr3t"
search_base: DC=example,DC=com
---
kind: LdapConfig
name: ad2
url: ldaps://dc.example.com:636
bind_dn: cn=svc
bind_password: 98765431007
search_base: DC=example,DC=com
---
kind: LdapConfig
name: ad3
url: ldaps://dc.example.com:636
bind_dn: cn=svc
bind_password: { nested: NestedPw-S3cr3t }
search_base: DC=example,DC=com
---
kind: Pool
name: agents
type: docker_agent
autoscale:
  - name: s
    vm_provider: aws
    standby_cores: 1
    nginx_key: |
      -----BEGIN PRIVATE KEY-----
      PemBody-S3cr3t
      -----END PRIVATE KEY-----
---
kind: Pool
name: desk
type: server
servers:
  - name: f1
    hostname: 127.0.0.1
    connection_type: rdp
    connection_port: 3389
    connection_password: PlainConn-S3cr3t # a comment stays
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'poolform-sec-config-'));
  writeFileSync(join(dir, 'all.yaml'), CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validate output never echoes a plaintext secret', () => {
  for (const allow of [false, true]) {
    it(`text, json and github formats (allow_plaintext_secrets: ${allow})`, async () => {
      writeFileSync(join(dir, 'all.yaml'), allow ? CONFIG.replace('kind: Settings\n', 'kind: Settings\nallow_plaintext_secrets: true\n') : CONFIG);
      const result = await loadConfig(dir);
      // The diagnostics point at the secret lines (plaintext-secret, schema errors)...
      expect(result.diagnostics.filter((d) => d.code === 'plaintext-secret').length).toBeGreaterThanOrEqual(5);
      for (const format of ['text', 'json', 'github'] as const) {
        const out = formatDiagnostics(result.diagnostics, format, { dir });
        // ...but what is printed holds none of the values.
        for (const secret of SECRETS) expect(out, `${format}: ${secret}`).not.toContain(secret);
      }
      const text = formatDiagnostics(result.diagnostics, 'text', { dir });
      expect(text).toContain(`connection_password: ${MASK} # a comment stays`);
      expect(text).toContain(`url: postgres://poolform:${MASK}@db.example.com/poolform`);
    });
  }
});

describe('maskSecretLine', () => {
  it('knows the schema secret fields', () => {
    const names = secretFieldNames();
    for (const n of ['connection_password', 'connection_private_key', 'connection_passphrase', 'secret_access_key', 'bind_password', 'nginx_key', 'secret']) {
      expect(names.has(n), n).toBe(true);
    }
  });

  it.each([
    ['    connection_password: hunter2', `    connection_password: ${MASK}`],
    ['  - connection_passphrase: abc def', `  - connection_passphrase: ${MASK}`],
    ["  bind_password: 'a # b' # note", `  bind_password: ${MASK} # note`],
    ['  - { name: k, secret: hunter2 }', `  - { name: k, secret: ${MASK} }`],
    ['  url: postgres://u:p%40ss@h/db', `  url: postgres://u:${MASK}@h/db`],
  ])('masks %j', (line, masked) => {
    expect(maskSecretLine(line)).toBe(masked);
  });

  it.each([
    '  secret: ${env:API_KEY}',
    '  - { secret: ${file:keys/api.key}, name: b }',
    '  connection_password: "{sso_cred}"',
    '  nginx_key: |',
    '  url: ldaps://dc.example.com:636',
    '  password_hint: not a secret field',
    '  name: desktops',
  ])('keeps %j', (line) => {
    expect(maskSecretLine(line)).toBe(line);
  });
});

describe('secret references', () => {
  it('an unreadable file or a missing variable names the reference, never a value', () => {
    const ctx = { env: { OTHER: 'Other-S3cr3t' }, baseDir: dir };
    expect(() => resolveSecret('${env:MISSING}', ctx)).toThrow(/MISSING/);
    let message = '';
    try {
      resolveSecret('${file:nope/secret.txt}', ctx);
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain('nope/secret.txt');
    expect(message).not.toContain('S3cr3t');
  });
});
