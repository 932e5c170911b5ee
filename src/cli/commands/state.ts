// `poolform state` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerState(program: Command, ctx: CliContext): void {
  program
    .command('state')
    .description('state (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform state: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
