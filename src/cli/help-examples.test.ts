// Every command's --help ends with an example (issue 12).
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from './main.ts';
import { captureCli } from '../../test/support/cli.ts';

function paths(program: Command): Command[] {
  const out: Command[] = [];
  const visit = (c: Command): void => {
    out.push(c);
    for (const s of c.commands) visit(s);
  };
  for (const c of program.commands) visit(c);
  return out;
}

describe('--help examples', () => {
  it('every command and subcommand shows an example line starting with `poolform`', async () => {
    const ctx = captureCli({ cwd: '/' });
    const program = await buildProgram(ctx);
    const commands = paths(program);
    expect(commands.length).toBeGreaterThan(15);
    for (const c of commands) {
      let help = '';
      c.configureOutput({ writeOut: (s) => (help += s) });
      c.outputHelp();
      expect(help, `help of ${c.name()}`).toMatch(/\nExamples?:\n {2}poolform /);
    }
  });
});
