import { describe, expect, it } from 'vitest';
import { main } from '../main.ts';
import type { CliContext } from '../context.ts';
import { COMMANDS } from './index.ts';

function context(): CliContext & { out: string; err: string } {
  const c = {
    out: '',
    err: '',
    stdout: { write: (s: string) => void (c.out += s) },
    stderr: { write: (s: string) => void (c.err += s) },
    env: {},
    cwd: '/',
    stdinIsTTY: false,
    readLine: async () => '',
    exitCode: 0,
  };
  return c;
}

describe('poolform completion', () => {
  it('bash: lists every command, subcommands and options', async () => {
    const ctx = context();
    expect(await main(['node', 'poolform', 'completion', 'bash'], ctx)).toBe(0);
    expect(ctx.out).toContain('complete -o default -F _poolform poolform');
    for (const c of COMMANDS) expect(ctx.out).toContain(c.name);
    expect(ctx.out).toMatch(/"state"\) words="list show rm pull/);
    expect(ctx.out).toMatch(/"plan"\) words="[^"]*--detailed-exitcode/);
  });

  it('zsh: the same through bashcompinit, with the #compdef header', async () => {
    const ctx = context();
    expect(await main(['node', 'poolform', 'completion', 'zsh'], ctx)).toBe(0);
    expect(ctx.out.startsWith('#compdef poolform\n')).toBe(true);
    expect(ctx.out).toContain('bashcompinit');
  });

  it('an unknown shell is a usage error', async () => {
    const ctx = context();
    expect(await main(['node', 'poolform', 'completion', 'fish'], ctx)).toBe(2);
    expect(ctx.err).toContain('unknown shell "fish" (expected bash or zsh)');
  });
});
