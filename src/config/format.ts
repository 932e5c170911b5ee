// Renderers for diagnostics: text (terminal), json (tools), github (workflow
// commands → pull-request annotations). Exported for reuse (serve shows
// config errors in its status).
import { isAbsolute, join } from 'node:path';
import type { Diagnostic } from './model.ts';
import { maskSecretLine, secretFieldNames } from './secret-fields.ts';
import { readRegularFileSync } from './bounded-read.ts';

export const FORMATS = ['text', 'json', 'github'] as const;
export type DiagnosticFormat = (typeof FORMATS)[number];

export function isDiagnosticFormat(value: string): value is DiagnosticFormat {
  return (FORMATS as readonly string[]).includes(value);
}

export interface DiagnosticSummary {
  valid: boolean;
  error_count: number;
  warning_count: number;
}

export function summarize(diagnostics: readonly Diagnostic[]): DiagnosticSummary {
  const error_count = diagnostics.filter((d) => d.severity === 'error').length;
  return { valid: error_count === 0, error_count, warning_count: diagnostics.length - error_count };
}

export interface FormatOptions {
  /** Config directory: file paths in diagnostics are relative to it (text reads source lines from it; github prefixes it). */
  dir: string;
  /** Source line lookup (defaults to reading the file under `dir`). */
  sourceLine?: (file: string, line: number) => string | undefined;
}

/** File-level problems whose "line" is not text worth showing. */
const NO_SOURCE_LINE = new Set(['file-too-large', 'config-too-large', 'file-unreadable', 'not-text', 'not-utf8']);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Display path of a diagnostic's file: joined onto the directory as the user gave it. */
function displayPath(dir: string, file: string): string {
  if (dir === '' || dir === '.' || dir === './') return file;
  return join(dir, file);
}

/** Reads lines of files lazily (at most 2 MB per file is read for carets). */
export function fileLineReader(dir: string): (file: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (file, line) => {
    if (!cache.has(file)) {
      const path = isAbsolute(file) ? file : join(dir, file);
      // A regular file only (a FIFO swapped in since the load must not block), at most 2 MB.
      const read = readRegularFileSync(path, 2 * 1024 * 1024);
      const lines = read.ok ? read.bytes.toString('utf8').split(/\r?\n/) : undefined;
      cache.set(file, lines);
    }
    return cache.get(file)?.[line - 1];
  };
}

/**
 * A diagnostic about a secret field whose line is not the `key:` line (a line
 * inside a multi-line block scalar, e.g. a PEM key): the line is secret text.
 */
function insideSecretBlock(d: Diagnostic, text: string): boolean {
  const last = d.path.split('/').pop() ?? '';
  return secretFieldNames().has(last) && !new RegExp(`(^|[\\s{,"'-])${last}["']?\\s*:`).test(text);
}

/**
 * `path:line:col: error CODE: message`, then the offending line with a caret
 * under the column, and a summary line at the end.
 */
export function formatText(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const sourceLine = options.sourceLine ?? fileLineReader(options.dir);
  let out = '';
  for (const d of diagnostics) {
    const where = d.file === '' ? displayPath(options.dir, '') || '.' : `${displayPath(options.dir, d.file)}:${d.line}:${d.column}`;
    out += `${where}: ${d.severity} ${d.code}: ${d.message}\n`;
    const text = d.file === '' || d.line < 1 || NO_SOURCE_LINE.has(d.code) ? undefined : sourceLine(d.file, d.line);
    if (text !== undefined && text.length <= 400 && !insideSecretBlock(d, text)) {
      // Tabs become one space so the caret lines up; control characters are not sent to the terminal.
      // Secret values on the line (plaintext secrets are exactly what some diagnostics point at) are masked.
      const shown = maskSecretLine(text.replace(/\t/g, ' ')).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
      out += `  ${shown}\n  ${' '.repeat(Math.max(0, d.column - 1))}^\n`;
    }
  }
  const s = summarize(diagnostics);
  out += s.valid ? `valid: ${plural(s.warning_count, 'warning')}\n` : `invalid: ${plural(s.error_count, 'error')}, ${plural(s.warning_count, 'warning')}\n`;
  return out;
}

export interface JsonReport extends DiagnosticSummary {
  diagnostics: Diagnostic[];
}

export function jsonReport(diagnostics: readonly Diagnostic[]): JsonReport {
  return {
    ...summarize(diagnostics),
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      file: d.file,
      line: d.line,
      column: d.column,
      path: d.path,
    })),
  };
}

export function formatJson(diagnostics: readonly Diagnostic[]): string {
  return `${JSON.stringify(jsonReport(diagnostics), null, 2)}\n`;
}

/** Escapes per GitHub's workflow-command rules (data vs. property values). */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error file=...,line=...,col=...::CODE: message` lines (`::warning` for warnings), nothing else. */
export function formatGithub(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  let out = '';
  for (const d of diagnostics) {
    const props: string[] = [];
    if (d.file !== '') {
      props.push(`file=${escapeProperty(displayPath(options.dir, d.file))}`);
      if (d.line > 0) props.push(`line=${d.line}`, `col=${d.column}`);
    }
    out += `::${d.severity}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(`${d.code}: ${d.message}`)}\n`;
  }
  return out;
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], format: DiagnosticFormat, options: FormatOptions): string {
  switch (format) {
    case 'text':
      return formatText(diagnostics, options);
    case 'json':
      return formatJson(diagnostics);
    case 'github':
      return formatGithub(diagnostics, options);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
