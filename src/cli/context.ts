// What a CLI command gets from the outside world. `process.env` and the
// standard streams are read here (cli/ only), never deeper in the code.

export interface Output {
  write(text: string): void;
}

export interface CliContext {
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Whether stdin is a terminal (apply asks for confirmation only then). */
  stdinIsTTY: boolean;
  /** Reads one line from stdin (confirmation prompts). */
  readLine(): Promise<string>;
  /** The exit code the process will end with (commands set it; only bin/ calls process.exit). */
  exitCode: number;
  /** The command being run (`plan`, `state list`), set before its action: errors are prefixed `poolform <command>:`. */
  command?: string;
  /** Whether stdout is a terminal (colour is only for terminals). */
  stdoutIsTTY?: boolean;
  /** Colour plan output (cli/color.ts); set by main() from the terminal, NO_COLOR and --no-color. */
  color?: boolean;
}

/** Exit codes: 0 ok, 1 failure / invalid, 2 usage error (and plan --detailed-exitcode: 2 = changes). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
