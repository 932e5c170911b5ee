// Colour for people at a terminal (issue 12): in plan output `+` green, `-`
// red, `~` and `-/+` yellow, like Terraform; error lines red. Off when stdout
// is not a terminal, when NO_COLOR is set (https://no-color.org) or with
// `--no-color` (`-no-color`).

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** Whether to colour: a terminal, no NO_COLOR (set and non-empty), no --no-color. */
export function colorWanted(stdoutIsTTY: boolean, env: Readonly<Record<string, string | undefined>>, noColorFlag: boolean): boolean {
  const noColorEnv = env['NO_COLOR'];
  return stdoutIsTTY && !noColorFlag && (noColorEnv === undefined || noColorEnv === '');
}

const SYMBOL = /^(\s*)(-\/\+|\+|-|~)(?=\s)/;

/** Plan text with its change symbols coloured (every other character unchanged). */
export function colorizePlan(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = SYMBOL.exec(line);
      if (m) {
        const sym = m[2] ?? '';
        const color = sym === '+' ? GREEN : sym === '-' ? RED : YELLOW;
        return `${m[1] ?? ''}${color}${sym}${RESET}${line.slice((m[1] ?? '').length + sym.length)}`;
      }
      if (/^Plan: /.test(line) || /^No changes\./.test(line) || /^Apply complete!/.test(line)) return `${BOLD}${line}${RESET}`;
      if (/^(Error|error)\b/.test(line.trimStart())) return `${RED}${line}${RESET}`;
      return line;
    })
    .join('\n');
}

/** An error line in red (the text itself unchanged). */
export function colorizeError(line: string): string {
  return line.endsWith('\n') ? `${RED}${line.slice(0, -1)}${RESET}\n` : `${RED}${line}${RESET}`;
}

/** Plan text as the CLI prints it: coloured when `color` is on. */
export function planForTerminal(color: boolean | undefined, text: string): string {
  return color ? colorizePlan(text) : text;
}
