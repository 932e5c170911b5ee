// One style for every error the CLI prints (issue 12):
//
//   poolform <command>: error [<code>]: <message>
//
// The code is the stable one the docs' error tables list (PoolformError.code,
// `state-locked`, `usage`, ...), so searching output for a code finds it. Errors
// without a code of their own are `unexpected`. Warnings read the same way:
// `poolform <command>: warning: ...`.
import { errorCodeOf } from '../util/error-code.ts';

export { errorCodeOf };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `poolform` or `poolform <command>` (a subcommand path such as `state list`). */
export function prefix(command: string | undefined): string {
  return command ? `poolform ${command}` : 'poolform';
}

/** `poolform plan: error [saved-plan-stale]: Saved plan is stale: ...` (one line per message line, newline-terminated). */
export function errorLine(command: string | undefined, code: string, message: string): string {
  return `${prefix(command)}: error [${code}]: ${message}\n`;
}

/** The error line of a thrown value. */
export function thrownErrorLine(command: string | undefined, err: unknown): string {
  return errorLine(command, errorCodeOf(err), messageOf(err));
}

export function warningLine(command: string | undefined, message: string): string {
  return `${prefix(command)}: warning: ${message}\n`;
}
