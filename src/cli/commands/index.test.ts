import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../context.ts';
import { readFileSync } from 'node:fs';
import { commandNamed, main } from '../main.ts';
import { COMMANDS } from './index.ts';

const ctx: CliContext = {
  stdout: { write: () => undefined },
  stderr: { write: () => undefined },
  env: {},
  cwd: '/',
  stdinIsTTY: false,
  readLine: async () => '',
  exitCode: 0,
};

describe('the command list (commands/index.ts)', () => {
  it('names, help terms and summaries match what each module registers', async () => {
    for (const entry of COMMANDS) {
      const program = new Command('poolform');
      (await entry.load())(program, ctx);
      const registered = program.commands.find((c) => c.name() === entry.name);
      expect(registered, `${entry.name}: its module registers no command of that name`).toBeDefined();
      if (!registered) continue;
      expect(registered.description(), `${entry.name}: summary`).toBe(entry.summary);
      expect(new Help().subcommandTerm(registered), `${entry.name}: term`).toBe(entry.term);
    }
  });

  it('names are unique', () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it('finds the command argv runs, or asks help for', () => {
    expect(commandNamed(['node', 'poolform', 'plan', 'dir', '--json'])?.name).toBe('plan');
    expect(commandNamed(['node', 'poolform', '--no-color', 'state', 'list'])?.name).toBe('state');
    expect(commandNamed(['node', 'poolform', 'help', 'apply'])?.name).toBe('apply');
    expect(commandNamed(['node', 'poolform', '--version'])).toBeUndefined();
    expect(commandNamed(['node', 'poolform', 'valdate'])).toBeUndefined();
  });

  it("commander's parse errors read like every other error: poolform <command>: error [usage]: ...", async () => {
    const run = async (...args: string[]) => {
      let err = '';
      const code = await main(['node', 'poolform', ...args], { ...ctx, stderr: { write: (s: string) => void (err += s) } });
      return { code, first: err.split('\n')[0] };
    };
    expect(await run('plan', '--bogus')).toEqual({ code: 2, first: "poolform plan: error [usage]: unknown option '--bogus'" });
    expect(await run('apply', '--at', '2026-12-05T10:00:00Z')).toEqual({ code: 2, first: "poolform apply: error [usage]: unknown option '--at'" });
    expect(await run('servers', 'drain')).toEqual({ code: 2, first: "poolform servers drain: error [usage]: missing required argument 'id'" });
    expect(await run('nosuch')).toEqual({ code: 2, first: "poolform: error [usage]: unknown command 'nosuch'" });
  });

  it('--version prints the version in package.json', async () => {
    let out = '';
    const code = await main(['node', 'poolform', '--version'], { ...ctx, stdout: { write: (s: string) => void (out += s) } });
    expect(code).toBe(0);
    expect(out.trim()).toBe((JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
  });
});
