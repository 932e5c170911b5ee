// The `poolform` command line. Each subcommand lives in cli/commands/<name>.ts
// and registers itself on the program; this file only wires them together.
import { createInterface } from 'node:readline';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.ts';
import { EXIT_USAGE } from './context.ts';
import { thrownErrorLine } from './error-line.ts';
import { registerValidate } from './commands/validate.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerPlan } from './commands/plan.ts';
import { registerApply } from './commands/apply.ts';
import { registerShow } from './commands/show.ts';
import { registerState } from './commands/state.ts';
import { registerForceUnlock } from './commands/force-unlock.ts';
import { registerServe } from './commands/serve.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('poolform')
    .description('Pools-as-code: validate, plan, apply and serve autoscaled server pools declared in YAML.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    });
  registerValidate(program, ctx);
  registerSchedule(program, ctx);
  registerPlan(program, ctx);
  registerApply(program, ctx);
  registerShow(program, ctx);
  registerState(program, ctx);
  registerForceUnlock(program, ctx);
  registerServe(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  // `poolform <command>: ...` in every error line: the full path of the command being run.
  program.hook('preAction', (_program, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    ctx.command = names.join(' ');
  });
  return program;
}

export function processContext(): CliContext {
  return {
    stdout: { write: (s) => void process.stdout.write(s) },
    stderr: { write: (s) => void process.stderr.write(s) },
    env: process.env,
    cwd: process.cwd(),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    readLine: () =>
      new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin });
        // Resolve before closing: close() fires the 'close' handler at once,
        // which would otherwise answer '' and cancel every confirmation.
        rl.once('line', (line) => {
          resolve(line);
          rl.close();
        });
        rl.once('close', () => resolve(''));
      }),
    exitCode: 0,
  };
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    ctx.stderr.write(thrownErrorLine(ctx.command, err));
    return 1;
  }
  return ctx.exitCode;
}
