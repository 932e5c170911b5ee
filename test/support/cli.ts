// A CliContext that captures what a command writes, for tests that run the CLI
// in-process through main() (the same code bin/poolform.js runs).
import type { CliContext } from '../../src/cli/context.ts';
import { main } from '../../src/cli/main.ts';

export interface CapturedCli extends CliContext {
  out(): string;
  err(): string;
}

export interface CaptureOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Whether stdin is a terminal (apply asks for confirmation then). Default false. */
  tty?: boolean;
  /** What readLine answers (default ''). */
  input?: string;
}

export function captureCli(options: CaptureOptions): CapturedCli {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => void (out += s) },
    stderr: { write: (s: string) => void (err += s) },
    env: { ...options.env },
    cwd: options.cwd,
    stdinIsTTY: options.tty ?? false,
    readLine: () => Promise.resolve(options.input ?? ''),
    exitCode: 0,
    out: () => out,
    err: () => err,
  };
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `poolform ARGS...` in-process and returns its exit code and output. */
export async function runMain(args: readonly string[], options: CaptureOptions): Promise<CliResult> {
  const ctx = captureCli(options);
  const code = await main(['node', 'poolform', ...args], ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}
