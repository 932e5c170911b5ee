// `poolform serve` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('serve (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform serve: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
