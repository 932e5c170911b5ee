// `poolform force-unlock` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerForceUnlock(program: Command, ctx: CliContext): void {
  program
    .command('force-unlock')
    .description('force-unlock (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform force-unlock: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
