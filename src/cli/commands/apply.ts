// `poolform apply` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('apply (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform apply: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
