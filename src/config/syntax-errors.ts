// YAML syntax errors as an admin needs them: at the line that is wrong, and
// one error rather than a cascade.
// - Re-anchoring: for a line indented too far under `key: value`, the yaml
//   library reports "Nested mappings are not allowed in compact mappings" at
//   the value on the line ABOVE (the token where it noticed). Its error range
//   ends on the offending line; we point at that line's first character and
//   say what is wrong with it.
// - Collapsing: one mistake (an indentation slip, an unclosed bracket) makes
//   the parser report a dozen follow-on errors. We report the first error in
//   the file and the number of further ones in its message.
import type { Diagnostic } from './model.ts';

export interface RawYamlError {
  code: string;
  message: string;
  /** Offsets into the file's text: where the parser noticed, and the end of the offending range. */
  start: number;
  end: number;
}

/** Codes the yaml library gives an over-indented (or under-indented) line under a `key: value` line. */
const INDENT_CODES = new Set(['BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT']);

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
}

function indentAt(text: string, lineStart: number): number {
  let i = lineStart;
  while (text[i] === ' ') i++;
  return i - lineStart;
}

/**
 * For an indentation error noticed on one line whose range runs into a later
 * line: the first later line (up to the range end) indented differently from
 * the line where the error was noticed, with a message about it.
 */
export function reanchor(error: RawYamlError, text: string): { offset: number; message: string } | undefined {
  if (!INDENT_CODES.has(error.code)) return undefined;
  const noticed = lineStartOf(text, error.start);
  const base = indentAt(text, noticed);
  // The offending line is the next line with content after the one where the error was noticed.
  let next = text.indexOf('\n', error.start);
  while (next !== -1) {
    const start = next + 1;
    const indent = indentAt(text, start);
    const rest = text[start + indent];
    if (rest !== undefined && rest !== '\n' && rest !== '\r' && rest !== '#') {
      if (indent === base) return undefined;
      const diff = indent - base;
      const spaces = (n: number): string => `${n} space${n === 1 ? '' : 's'}`;
      return {
        offset: start + indent,
        message:
          diff > 0
            ? `this line is indented ${spaces(diff)} further than the line above, which already has a value: indent it like the keys it belongs with (YAML: ${error.message})`
            : `this line is indented ${spaces(-diff)} less than the line above: indent it like the keys it belongs with (YAML: ${error.message})`,
      };
    }
    next = text.indexOf('\n', start);
  }
  return undefined;
}

/**
 * The file's syntax errors as diagnostics: re-anchored where the library
 * points at the line above, then only the first one (by position), with the
 * number of further errors in its message.
 */
export function collapseSyntaxErrors(
  errors: readonly RawYamlError[],
  text: string,
  position: (offset: number) => { line: number; column: number },
  file: string,
): Diagnostic[] {
  if (errors.length === 0) return [];
  let first: { offset: number; message: string } | undefined;
  // Errors noticed at one spot belong to one mistake: once one of them is re-anchored, all are.
  const movedAt = new Map<number, { offset: number; message: string }>();
  const moves = errors.map((e) => {
    const moved = reanchor(e, text);
    if (moved && !movedAt.has(e.start)) movedAt.set(e.start, moved);
    return moved;
  });
  for (const [i, e] of errors.entries()) {
    const moved = moves[i] ?? movedAt.get(e.start);
    const candidate = moved ?? { offset: e.start, message: e.message };
    // Prefer the earliest; on a tie, the re-anchored (more helpful) one.
    if (!first || candidate.offset < first.offset || (candidate.offset === first.offset && moved)) first = candidate;
  }
  if (!first) return [];
  const more = errors.length - 1;
  const pos = position(first.offset);
  const message =
    more > 0
      ? `${first.message} (and ${more} more YAML error${more === 1 ? '' : 's'} in this file, usually caused by this one: fix it and validate again)`
      : first.message;
  return [{ severity: 'error', code: 'yaml-syntax', message, file, line: pos.line, column: pos.column, path: '' }];
}
