// `poolform validate [DIR] [--format text|json|github]`: loads DIR like every
// other command does and prints its diagnostics. Exit 0 valid (warnings
// allowed), 1 invalid, 2 usage error (missing DIR, unknown flag, bad format).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { errorLine } from '../error-line.ts';
import type { CliContext } from '../context.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../context.ts';
import { loadConfig } from '../../config/load.ts';
import { FORMATS, fileLineReader, formatDiagnostics, isDiagnosticFormat } from '../../config/format.ts';

interface ValidateOptions {
  format: string;
}

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check the YAML configuration in DIR (default .) and report problems as file:line:col')
    .argument('[dir]', 'config directory', '.')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'text')
    .action(async (dir: string, options: ValidateOptions) => {
      ctx.exitCode = await runValidate(ctx, dir, options.format);
    });
}

export async function runValidate(ctx: CliContext, dir: string, format: string): Promise<number> {
  if (!isDiagnosticFormat(format)) {
    ctx.stderr.write(errorLine('validate', 'usage', `unknown format "${format}" (expected ${FORMATS.join(', ')})`));
    return EXIT_USAGE;
  }
  const abs = resolve(ctx.cwd, dir);
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isDirectory()) {
    ctx.stderr.write(errorLine('validate', 'config-dir-missing', `${dir}: ${info ? 'not a directory' : 'no such directory'}`));
    return EXIT_USAGE;
  }
  const result = await loadConfig(abs);
  // Paths are shown relative to where the admin ran the command (DIR as given).
  ctx.stdout.write(formatDiagnostics(result.diagnostics, format, { dir: dir === '.' ? '' : dir, sourceLine: fileLineReader(abs) }));
  return result.diagnostics.some((d) => d.severity === 'error') ? EXIT_FAILURE : EXIT_OK;
}
