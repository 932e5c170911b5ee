// `poolform show FILE [--json]`: print a plan saved with `plan -out FILE`,
// as text or as JSON shaped like `terraform show -json`.
import type { Command } from 'commander';
import { renderPlanJson } from '../../plan/render-json.ts';
import { renderPlanText } from '../../plan/render-text.ts';
import { EXIT_OK } from '../context.ts';
import type { CliContext } from '../context.ts';
import { planForTerminal } from '../color.ts';
import { readSavedPlanFile, runCli } from './plan.ts';

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description('print a saved plan (from `poolform plan -out FILE`)')
    .argument('<file>', 'saved plan file')
    .option('--json', 'print it as JSON (like terraform show -json)')
    .action((file: string, options: { json?: boolean }) =>
      runCli(ctx, async () => {
        const saved = await readSavedPlanFile(ctx, file);
        ctx.stdout.write(options.json ? renderPlanJson(saved.plan) : planForTerminal(ctx.color, renderPlanText(saved.plan)));
        ctx.exitCode = EXIT_OK;
      }),
    );
}
