// `poolform show` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description('show (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform show: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
