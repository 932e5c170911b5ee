import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfigDir } from '../../../test/fixtures/config/load-strings.ts';
import { runMain } from '../../../test/support/cli.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = (args: string[], cwd = root) => runMain(['validate', ...args], { cwd });

let invalid = '';
beforeAll(async () => {
  invalid = await writeConfigDir({
    'pool.yaml': 'kind: Pool\nname: p\ntype: server\nautoscale:\n  - name: a\n    vm_provider: nope\n    connection_type: rdp\n',
    'ldap.yaml': 'kind: LdapConfig\nname: corp\nurl: ldaps://dc\nbind_dn: x\nbind_password: ${env:PW}\nsearch_base: DC=x\ntls_insecure_skip_verify: true\n',
  });
});
afterAll(async () => {
  await rm(invalid, { recursive: true, force: true });
});

describe('poolform validate', () => {
  it('exits 0 on config.example (relative DIR, resolved against the cwd)', async () => {
    const r = await run(['config.example']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^valid: \d+ warnings?\n$/);
    expect(r.code).toBe(0);
  });

  it('defaults DIR to the working directory', async () => {
    const r = await run([], `${root}config.example`);
    expect(r.code).toBe(0);
  });

  it('exits 1 and prints path:line:col, the line, a caret and a summary', async () => {
    const r = await run([invalid]);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`${invalid}/ldap.yaml:7:27: warning tls-insecure: LdapConfig corp does not verify the server certificate; set ca_cert instead`);
    expect(lines[3]).toBe(`${invalid}/pool.yaml:6:18: error unknown-reference: VmProvider "nope" is not defined`);
    expect(lines[4]).toBe('      vm_provider: nope');
    expect(lines[5]).toBe('                   ^');
    expect(lines.at(-2)).toBe('invalid: 1 error, 1 warning');
  });

  it('prints JSON with --format json', async () => {
    const r = await run([invalid, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { valid: boolean; error_count: number; warning_count: number; diagnostics: Record<string, unknown>[] };
    expect(report).toMatchObject({ valid: false, error_count: 1, warning_count: 1 });
    expect(report.diagnostics[1]).toEqual({
      severity: 'error',
      code: 'unknown-reference',
      message: 'VmProvider "nope" is not defined',
      file: 'pool.yaml',
      line: 6,
      column: 18,
      path: '/autoscale/0/vm_provider',
    });
  });

  it('prints workflow commands with --format github', async () => {
    const r = await run(['--format=github', invalid]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`::error file=${invalid}/pool.yaml,line=6,col=18::unknown-reference: VmProvider "nope" is not defined\n`);
    expect(r.out).toContain(`::warning file=${invalid}/ldap.yaml,line=7,col=27::`);
  });

  it('exits 2 on usage errors: missing DIR, unknown flag, bad format', async () => {
    const missing = await run(['/nonexistent/poolform']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such directory');
    expect((await run(['config.example', '--strict'])).code).toBe(2);
    const bad = await run(['config.example', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown format "xml"');
    expect(bad.out).toBe('');
  });
});
