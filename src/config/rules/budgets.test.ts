// Issue 11 at the rule level: schedules and startup scripts within their
// budgets (config-too-large), linear checks on large inputs, `${file:}` that
// names a FIFO or a device, and the ed25519 key message. (Loader-level cases,
// including no-config-documents, are in ../budgets.test.ts.)
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';
import { loadConfig } from '../load.ts';
import { scanTemplate } from '../../template/startup-script.ts';
import { openSshKeyType, sshKeyProblem } from './ssh-key.ts';

const schedulesPool = (n: number) => {
  const lines = Array.from(
    { length: n },
    (_, i) => `      - { days: [mon], start: "${String(i % 24).padStart(2, '0')}:00", end: "${String(i % 24).padStart(2, '0')}:30", timezone: UTC }`,
  );
  return serverPool(`schedules:\n${lines.join('\n')}`).replace(/\n {4}schedules:\n/, '\n    schedules:\n');
};

describe('config-too-large in rules', () => {
  it('schedules past the budget are one diagnostic at the schedules key, and not checked one by one', async () => {
    const r = await loadStrings({ 's.yaml': 'kind: Settings\nconfig_limits:\n  max_schedules: 10\n', 'a.yaml': `${LOCAL_PROVIDER}---\n${schedulesPool(11)}` });
    expect(only(r, 'config-too-large')).toMatchObject([{ file: 'a.yaml', line: 14, column: 5, path: '/autoscale/0/schedules' }]);
    expect(only(r, 'config-too-large')[0]?.message).toMatch(/11 schedules.*max_schedules/);
    const ok = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${schedulesPool(11)}` });
    expect(codes(ok, 'error')).toEqual([]);
  });

  it('4,000 schedules are checked (gap detection by sorted intervals, not pairs)', async () => {
    const r = await loadStrings({
      's.yaml': 'kind: Settings\nconfig_limits:\n  max_schedules: 4000\n',
      'a.yaml': `${LOCAL_PROVIDER}---\n${schedulesPool(4_000)}`,
    });
    expect(codes(r, 'error')).toEqual([]);
    expect(r.config?.pools[0]?.autoscale?.[0]?.schedules).toHaveLength(4_000);
  }, 60_000);

  it('a startup script past the template budget is config-too-large at the field', async () => {
    const script = `echo ${'x'.repeat(2_000)}`;
    const r = await loadStrings({
      's.yaml': 'kind: Settings\nconfig_limits:\n  max_template_bytes: 1000\n',
      'a.yaml': `kind: VmProvider\nname: local\ntype: local\nmax_instances: 1\nstartup_script: "${script}"\n`,
    });
    expect(only(r, 'config-too-large')).toMatchObject([{ file: 'a.yaml', line: 5, column: 1, path: '/startup_script' }]);
    expect(only(r, 'config-too-large')[0]?.message).toMatch(/max_template_bytes/);
  });

  it('2 MB of stray braces scan in one pass; unknown variables are reported a bounded number of times', async () => {
    // `{x` a million times: the old scan searched to the end for a `}` after each `{`.
    const tokens = scanTemplate('{x'.repeat(1024 * 1024));
    expect(tokens).toHaveLength(2 * 1024 * 1024);
    expect(tokens.filter((t) => t.kind === 'stray-brace')).toHaveLength(1024 * 1024);
    expect(scanTemplate('{ {a} {b c} }}{{')).toEqual([
      { kind: 'stray-brace', offset: 0 },
      { kind: 'text', text: ' ', offset: 1 },
      { kind: 'variable', name: 'a', offset: 2, length: 3 },
      { kind: 'text', text: ' ', offset: 5 },
      { kind: 'stray-brace', offset: 6 },
      { kind: 'text', text: 'b c', offset: 7 },
      { kind: 'stray-brace', offset: 10 },
      { kind: 'text', text: ' }{', offset: 11 },
    ]);
    const script = Array.from({ length: 100 }, (_, i) => `{nope${i}}`).join(' ');
    const r = await loadStrings({ 'a.yaml': `kind: VmProvider\nname: local\ntype: local\nmax_instances: 1\nstartup_script: "${script}"\n` });
    const unknown = only(r, 'unknown-template-variable');
    expect(unknown).toHaveLength(21);
    expect(unknown.some((d) => /80 more unknown/.test(d.message))).toBe(true);
  });
});

describe('${file:} names a regular file only', () => {
  const sshPool = (key: string) => serverPool(`connection_private_key: ${key}`).replace('rdp', 'ssh');

  it('a FIFO, /dev/zero or a directory is an error naming the path, without blocking or reading', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolform-fifo-'));
    try {
      execFileSync('mkfifo', [join(dir, 'key.fifo')]);
      for (const [ref, kind] of [
        ['key.fifo', /FIFO/],
        ['/dev/zero', /character device/],
        ['.', /directory/],
      ] as const) {
        await writeFile(join(dir, 'a.yaml'), `${LOCAL_PROVIDER}---\n${sshPool(`\${file:${ref}}`)}`);
        const r = await loadConfig(dir);
        const d = only(r, 'ssh-key-invalid');
        expect(d, ref).toHaveLength(1);
        expect(d[0]?.message).toContain(ref);
        expect(d[0]?.message).toMatch(kind);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SSH key messages', () => {
  it('an ed25519 OpenSSH key is told what is required and how to make it, not to convert it', () => {
    // An OpenSSH-format ed25519 key (the public part names its type; test key, not used anywhere).
    const body = Buffer.concat([
      Buffer.from('openssh-key-v1\0'),
      Buffer.from([0, 0, 0, 4]),
      Buffer.from('none'),
      Buffer.from([0, 0, 0, 4]),
      Buffer.from('none'),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x33, 0, 0, 0, 0x0b]),
      Buffer.from('ssh-ed25519'),
      Buffer.alloc(36),
    ]);
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(openSshKeyType(pem)).toBe('ssh-ed25519');
    const problem = sshKeyProblem(pem) ?? '';
    expect(problem).toMatch(/RSA 2048-bit key in PKCS#1 PEM/);
    expect(problem).toContain('-----BEGIN RSA PRIVATE KEY-----');
    expect(problem).toContain('ssh-keygen -t rsa -b 2048 -m PEM');
    expect(problem).not.toMatch(/convert it with/);
    const pkcs8Ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(sshKeyProblem(pkcs8Ed)).toMatch(/PKCS#8/);
  });
});
