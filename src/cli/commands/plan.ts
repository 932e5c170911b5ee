// `poolform plan` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('plan (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform plan: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
