// The `poolform` command line. Each subcommand lives in cli/commands/<name>.ts
// and registers itself on the program; commands/index.ts lists them. Only the
// module of the command being run is imported (the others appear in help as
// their one-line summary), so `--help` and `--version` load no command at all.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommanderError, Help } from 'commander';
import type { CliContext } from './context.ts';
import { EXIT_USAGE } from './context.ts';
import { errorLine, thrownErrorLine } from './error-line.ts';
import { colorWanted } from './color.ts';
import { addHelpExamples } from './help-examples.ts';
import { normalizeSingleDash, takeNoColor } from './terraform-flags.ts';
import { COMMANDS, type CommandEntry } from './commands/index.ts';

/**
 * The version in package.json. Every source and built module sits two folders
 * below the package root (src/cli/, dist/cli/: see scripts/build.ts), so the
 * same relative path finds it in a clone and in an installed package.
 */
function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** The command `argv` (node, script, args...) runs, or asks help for (`help NAME`); undefined for none. */
export function commandNamed(argv: readonly string[]): CommandEntry | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * The program, with the real command of `argv` (or every command when `argv`
 * is undefined, e.g. for shell completion) and one-line stand-ins for the rest.
 */
export async function buildProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
  const wanted = argv === undefined ? undefined : commandNamed(argv);
  const standIns = new Map<string, string>();
  const program = new Command('poolform')
    .description('Pools-as-code: validate, plan, apply and serve autoscaled server pools declared in YAML.')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride()
    .configureHelp({ subcommandTerm: (cmd) => standIns.get(cmd.name()) ?? new Help().subcommandTerm(cmd) })
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    });
  const registers = await Promise.all(COMMANDS.map((c) => (argv === undefined || c === wanted ? c.load() : undefined)));
  COMMANDS.forEach((entry, i) => {
    const register = registers[i];
    if (register) {
      register(program, ctx);
    } else {
      program.command(entry.name).description(entry.summary);
      standIns.set(entry.name, entry.term);
    }
  });
  for (const sub of program.commands) sub.exitOverride();
  usageErrorsInOneStyle(program);
  addHelpExamples(program);
  // `poolform <command>: ...` in every error line: the full path of the command being run.
  program.hook('preAction', (_program, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
    ctx.command = names.join(' ');
  });
  return program;
}

/** `plan`, `sessions list`: a command's path below the program. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Commander's own parse errors (unknown option or command, missing argument)
 * in the style of every other error (error-line.ts), so they read
 * `poolform plan: error [usage]: unknown option '--bogus'` rather than
 * `error: unknown option '--bogus'`. The help shown after them is unchanged.
 */
function usageErrorsInOneStyle(program: Command): void {
  const visit = (cmd: Command): void => {
    const path = commandPath(cmd);
    cmd.configureOutput({
      ...cmd.configureOutput(),
      outputError: (text, write) => write(text.replace(/^error: /, errorLine(path === '' ? undefined : path, 'usage', '').replace(/\n$/, ''))),
    });
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
}

export function processContext(): CliContext {
  return {
    stdout: { write: (s) => void process.stdout.write(s) },
    stderr: { write: (s) => void process.stderr.write(s) },
    env: process.env,
    cwd: process.cwd(),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
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
export async function main(rawArgv: readonly string[], ctx: CliContext = processContext()): Promise<number> {
  // Terraform habits: `-auto-approve`, `-target=ADDR`, `-no-color`... (terraform-flags.ts); --no-color for every command.
  const { args, noColor } = takeNoColor(normalizeSingleDash(rawArgv.slice(2)));
  const argv = [...rawArgv.slice(0, 2), ...args];
  ctx.color = colorWanted(ctx.stdoutIsTTY ?? false, ctx.env, noColor);
  const program = await buildProgram(ctx, argv);
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
