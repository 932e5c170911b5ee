// `poolform schedule` (placeholder until its issue lands).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerSchedule(program: Command, ctx: CliContext): void {
  program
    .command('schedule')
    .description('schedule (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      ctx.stderr.write('poolform schedule: not implemented yet\n');
      ctx.exitCode = 1;
    });
}
