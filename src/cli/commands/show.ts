// `poolform show FILE [--json]`: print a plan saved with `plan -out FILE`,
// as text or as JSON shaped like `terraform show -json`.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { renderPlanJson } from '../../plan/render-json.ts';
import { renderPlanText } from '../../plan/render-text.ts';
import { parseSavedPlan } from '../../plan/saved-plan.ts';
import { PoolformError } from '../../util/errors.ts';
import { EXIT_OK } from '../context.ts';
import type { CliContext } from '../context.ts';
import { runCli } from './plan.ts';

export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command('show')
    .description('print a saved plan (from `poolform plan -out FILE`)')
    .argument('<file>', 'saved plan file')
    .option('--json', 'print it as JSON (like terraform show -json)')
    .action((file: string, options: { json?: boolean }) =>
      runCli(ctx, async () => {
        let text: string;
        try {
          text = await readFile(resolve(ctx.cwd, file), 'utf8');
        } catch (cause) {
          throw new PoolformError('saved-plan-read', `cannot read the saved plan ${file}`, { cause });
        }
        const saved = parseSavedPlan(text);
        ctx.stdout.write(options.json ? renderPlanJson(saved.plan) : renderPlanText(saved.plan));
        ctx.exitCode = EXIT_OK;
      }),
    );
}
