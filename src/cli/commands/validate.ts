// `poolform validate` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('validate (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform validate: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
