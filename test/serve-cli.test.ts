// `poolform serve` argument and start-up errors, through the CLI entry in-process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import type { CliContext } from '../src/cli/context.ts';
import { hostPortOf, parseListen, reachableAddress } from '../src/daemon/serve.ts';

function context(): { ctx: CliContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    stdout: { write: (s) => void (out += s) },
    stderr: { write: (s) => void (err += s) },
    env: {},
    cwd: tmpdir(),
    stdinIsTTY: false,
    readLine: () => Promise.resolve(''),
    exitCode: 0,
  };
  return { ctx, out: () => out, err: () => err };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('poolform serve (CLI)', () => {
  it('refuses an invalid configuration at start with file:line diagnostics, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-serve-cli-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'bad.yaml'), 'kind: Pool\nname: p\ntype: spaceship\n');
    const c = context();
    const code = await main(['node', 'poolform', 'serve', dir, '--listen', '127.0.0.1:0', '--state', join(dir, 'state')], c.ctx);
    expect(code).toBe(1);
    expect(c.err()).toContain('bad.yaml:3');
    expect(c.err()).toContain('invalid');
  });

  it('rejects a malformed --listen and --log-level with a usage error (exit 2)', async () => {
    for (const args of [
      ['--listen', 'nonsense'],
      ['--listen', '127.0.0.1:99999'],
      ['--log-level', 'loud'],
    ]) {
      const c = context();
      const code = await main(['node', 'poolform', 'serve', '.', ...args], c.ctx);
      expect(code, args.join(' ')).toBe(2);
      expect(c.err()).toMatch(/invalid/);
    }
  });

  it('parses listen addresses and derives the callback address', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(reachableAddress('0.0.0.0', 8080)).toBe('127.0.0.1:8080');
    expect(reachableAddress('::1', 9000)).toBe('[::1]:9000');
    expect(hostPortOf('https://poolform.example.com:8443/base')).toBe('poolform.example.com:8443');
    expect(hostPortOf('poolform.example.com:8443')).toBe('poolform.example.com:8443');
  });
});
