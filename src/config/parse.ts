// Reads and parses one config file into YAML documents, keeping the node tree
// for positions. Every failure (unreadable, too large, binary, bad UTF-8,
// syntax errors, alias bombs, absurd nesting) becomes a diagnostic.
import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Diagnostic } from './model.ts';
import type { SourceDocument } from './source.ts';
import { positionOfOffset } from './source.ts';
import type { DiscoveredFile } from './discover.ts';

/** Files above this size are refused (a config is kilobytes; this leaves room for generated ones). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/**
 * All files together are read up to this size. Parsing keeps a node tree per
 * document (about 70× the text in memory), so a budget for the whole
 * directory keeps many large files from exhausting the heap (a crash, not a
 * diagnostic). 10,000 fixed servers take about 1.5 MB.
 */
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** Alias expansions allowed per document (defeats "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
/** At most this many YAML errors are reported per file (random bytes produce thousands). */
const MAX_ERRORS_PER_FILE = 20;
const STACK_OVERFLOW = /maximum call stack size exceeded/i;

export interface ParsedDocument {
  source: SourceDocument;
  /** Plain JS value of the document (schema validation fills defaults into it). */
  value: unknown;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

function fileDiagnostic(file: string, code: string, message: string, line = 1, column = 1): Diagnostic {
  return { severity: 'error', code, message, file, line, column, path: '' };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export async function parseFile(f: DiscoveredFile): Promise<ParsedFile> {
  let bytes: Uint8Array;
  try {
    const info = await stat(f.absPath);
    if (info.size > MAX_FILE_BYTES) {
      const mb = (info.size / 1024 / 1024).toFixed(1);
      return { documents: [], diagnostics: [fileDiagnostic(f.file, 'file-too-large', `file is ${mb} MB; config files are limited to ${MAX_FILE_BYTES / 1024 / 1024} MB`)] };
    }
    bytes = await readFile(f.absPath);
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'read error';
    return { documents: [], diagnostics: [fileDiagnostic(f.file, 'file-unreadable', `cannot read file (${reason})`)] };
  }
  if (bytes.includes(0)) {
    return { documents: [], diagnostics: [fileDiagnostic(f.file, 'not-text', 'file contains NUL bytes: not a YAML text file')] };
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { documents: [], diagnostics: [fileDiagnostic(f.file, 'not-utf8', 'file is not valid UTF-8')] };
  }
  return parseText(f, text);
}

export function parseText(f: DiscoveredFile, text: string): ParsedFile {
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const lines = new LineCounter();
  let errorCount = 0;
  let firstHidden: Diagnostic | undefined;
  let tooDeep = false;
  const push = (d: Diagnostic): void => {
    if (d.severity === 'error') {
      // The parser overflows its stack once per level beyond what it can nest: one diagnostic says it all.
      if (STACK_OVERFLOW.test(d.message)) {
        if (tooDeep) return;
        tooDeep = true;
        d = { ...d, message: 'nesting is too deep to parse (thousands of levels); flatten this document' };
      }
      errorCount++;
      if (errorCount > MAX_ERRORS_PER_FILE) {
        firstHidden ??= d;
        return;
      }
    }
    diagnostics.push(d);
  };
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true, strict: true });
  } catch (err) {
    // The parser recursing too deep on absurd nesting, and the like.
    const reason = err instanceof Error ? err.message : String(err);
    const message = STACK_OVERFLOW.test(reason) ? 'nesting is too deep to parse (thousands of levels); flatten this document' : `cannot parse YAML (${reason})`;
    return { documents: [], diagnostics: [fileDiagnostic(f.file, 'yaml-syntax', message)] };
  }
  // parseAllDocuments returns an EmptyStream (an array with `empty`) for an empty file.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    const source: SourceDocument = { file: f.file, absPath: f.absPath, index, doc, lines, text };
    for (const problem of [...doc.errors, ...doc.warnings]) {
      const pos = positionOfOffset(source, problem.pos[0]);
      const severity = problem.name === 'YAMLWarning' ? 'warning' : 'error';
      push({
        severity,
        code: severity === 'error' ? 'yaml-syntax' : 'yaml-warning',
        message: problem.message.split('\n')[0] ?? problem.message,
        file: f.file,
        line: pos.line,
        column: pos.column,
        path: '',
      });
    }
    if (doc.errors.length > 0 || doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const pos = positionOfOffset(source, doc.range[0]);
      const aliasBomb = err instanceof ReferenceError && /alias/i.test(err.message);
      push({
        severity: 'error',
        code: aliasBomb ? 'yaml-alias-limit' : 'yaml-syntax',
        message: aliasBomb
          ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing to expand this document`
          : `cannot read document (${err instanceof Error ? err.message : String(err)})`,
        file: f.file,
        line: pos.line,
        column: pos.column,
        path: '',
      });
      return;
    }
    // An empty document (`---` with nothing after it, or only comments) is no document.
    if (value === null || value === undefined) return;
    documents.push({ source, value });
  });
  if (errorCount > MAX_ERRORS_PER_FILE) {
    // Placed where the first hidden error is, so it sorts after the ones shown.
    const at = firstHidden ?? { line: 1, column: 1 };
    diagnostics.push(fileDiagnostic(f.file, 'yaml-syntax', `${errorCount - MAX_ERRORS_PER_FILE} more YAML errors in this file not shown`, at.line, at.column));
  }
  return { documents, diagnostics };
}
