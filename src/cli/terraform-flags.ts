// Terraform habits (issue 12): Terraform spells its long flags with one dash
// (`-auto-approve`, `-target=ADDR`, `-detailed-exitcode`, `-no-color`,
// `-out=FILE`). poolform accepts those as aliases of its `--` flags. Only the
// names below are rewritten, so short flags (`-o FILE`) and values that happen
// to start with a dash (after `--`) are left alone.

/** Long flags that may be written with a single dash. */
export const SINGLE_DASH_ALIASES: ReadonlySet<string> = new Set([
  'auto-approve',
  'target',
  'detailed-exitcode',
  'no-color',
  'out',
  'lock',
  'lock-timeout',
  'refresh',
  'state',
  'json',
  'destroy',
  'force',
  'at',
  'format',
  'config',
]);

/** The arguments (after node and the script) with single-dash aliases as `--` flags. */
export function normalizeSingleDash(args: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of args) {
    if (rest || arg === '--') {
      rest = true;
      out.push(arg);
      continue;
    }
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
    out.push(m && m[1] !== undefined && SINGLE_DASH_ALIASES.has(m[1]) ? `-${arg}` : arg);
  }
  return out;
}

/**
 * Takes `--no-color` (any command, before `--`) out of the arguments: colour is
 * the CLI's concern, not each command's. Returns the remaining arguments and
 * whether it was given.
 */
export function takeNoColor(args: readonly string[]): { args: string[]; noColor: boolean } {
  const out: string[] = [];
  let noColor = false;
  let rest = false;
  for (const arg of args) {
    if (!rest && arg === '--') rest = true;
    if (!rest && arg === '--no-color') {
      noColor = true;
      continue;
    }
    out.push(arg);
  }
  return { args: out, noColor };
}
