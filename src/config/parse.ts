// Reads and parses one config file into YAML documents, keeping the node tree
// for positions. Every failure (unreadable, not a regular file, too large,
// binary, bad UTF-8, syntax errors, alias bombs and cycles, absurd nesting)
// becomes a diagnostic, and the work stays linear in the input and bounded by
// the budgets (budgets.ts):
// 1. a bounded read (bounded-read.ts): regular files only, at most the byte budget;
// 2. a streaming lexer pass counts the nodes the text would create and stops
//    at the node budget before any node is built (16 MB of `[1,1,...]` would
//    otherwise take gigabytes);
// 3. the yaml parser builds the documents (without its quadratic unique-keys
//    check; Error stack traces off, so a million syntax errors stay cheap);
// 4. one walk over each document's node tree (inspect.ts) counts nodes with
//    alias expansions, depth and keys per mapping, finds duplicate keys with a
//    Set per mapping and circular aliases;
// 5. only then the plain JS value is built.
import { CST, LineCounter, Lexer, parseAllDocuments } from 'yaml';
import type { Diagnostic } from './model.ts';
import type { SourceDocument } from './source.ts';
import { positionOfOffset } from './source.ts';
import type { DiscoveredFile } from './discover.ts';
import { readRegularFile } from './bounded-read.ts';
import type { ConfigBudgets } from './budgets.ts';
import { BUDGET_CEILINGS, MAX_ALIASES_PER_DOCUMENT, overBudget } from './budgets.ts';
import { inspectDocument } from './inspect.ts';
import type { DocumentStats } from './inspect.ts';
import { collapseSyntaxErrors } from './syntax-errors.ts';
import type { RawYamlError } from './syntax-errors.ts';

/** Default per-file byte budget (see budgets.ts). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Default byte budget of all files together (see budgets.ts). */
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** Alias expansions the yaml library allows per alias when building values (defeats "billion laughs" together with the node budget). */
export const MAX_ALIAS_COUNT = 100;
const STACK_OVERFLOW = /maximum call stack size exceeded|stack overflow/i;
const TOO_DEEP = 'nesting is too deep to parse (thousands of levels); flatten this document';

export interface ParsedDocument {
  source: SourceDocument;
  /** Plain JS value of the document (schema validation fills defaults into it). */
  value: unknown;
  /** Size measures of the document, checked against the effective budgets once Settings is known. */
  stats: DocumentStats;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
  /** Bytes read. */
  bytes: number;
  /** YAML nodes of the file's documents (alias expansions included). */
  nodes: number;
  /** A budget ceiling was exceeded: the load should stop reading further files. */
  exhausted: boolean;
}

/** What one file may use: the ceilings, and what is left of the load's node budget. */
export type ParseLimits = Pick<ConfigBudgets, 'maxFileBytes' | 'maxYamlNodes' | 'maxDepth' | 'maxKeysPerMapping'>;

export const CEILING_LIMITS: ParseLimits = {
  maxFileBytes: BUDGET_CEILINGS.maxFileBytes,
  maxYamlNodes: BUDGET_CEILINGS.maxYamlNodes,
  maxDepth: BUDGET_CEILINGS.maxDepth,
  maxKeysPerMapping: BUDGET_CEILINGS.maxKeysPerMapping,
};

function fileDiagnostic(file: string, code: string, message: string, line = 1, column = 1): Diagnostic {
  return { severity: 'error', code, message, file, line, column, path: '' };
}

function failed(diagnostics: Diagnostic[], bytes = 0, exhausted = false): ParsedFile {
  return { documents: [], diagnostics, bytes, nodes: 0, exhausted };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export async function parseFile(f: DiscoveredFile, limits: ParseLimits = CEILING_LIMITS): Promise<ParsedFile> {
  const read = await readRegularFile(f.absPath, limits.maxFileBytes);
  if (!read.ok) {
    if (read.reason === 'too-large') {
      return failed([overBudget('maxFileBytes', limits.maxFileBytes, 'this file is too large; it is not read', { file: f.file, line: 1, column: 1 })]);
    }
    const message = read.reason === 'not-regular' ? read.message.replace(f.absPath, f.file) : read.message.replace(f.absPath, 'file');
    return failed([fileDiagnostic(f.file, 'file-unreadable', message)]);
  }
  const bytes = read.bytes;
  if (bytes.includes(0)) {
    return failed([fileDiagnostic(f.file, 'not-text', 'file contains NUL bytes: not a YAML text file')], bytes.length);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return failed([fileDiagnostic(f.file, 'not-utf8', 'file is not valid UTF-8')], bytes.length);
  }
  const parsed = parseText(f, text, limits);
  return { ...parsed, bytes: bytes.length };
}

/** Lexer token types that create a YAML node (a scalar, a collection, an alias, a sequence entry). */
// (`:` too: `: : :` makes empty keys and values; `---` makes a document.)
const NODE_TOKENS = new Set([
  'scalar',
  'flow-map-start',
  'flow-seq-start',
  'seq-item-ind',
  'explicit-key-ind',
  'map-value-ind',
  'alias',
  'doc-start',
  'directive-line',
]);
/** Tokens that are not text of the file (the lexer's mode markers). */
const CONTROL = /^[\u0000-\u0008\u000e-\u001f]$/;
const TRIVIA = new Set(['space', 'newline', 'comment']);

/**
 * Counts, without building anything, the nodes the text would create (an
 * upper bound of the collections, an exact count of scalars and aliases
 * before expansion) and all significant tokens (a million lines of syntax
 * errors have few nodes but a million errors). Returns the offset where a
 * limit is first exceeded, or undefined.
 */
export function preScan(
  text: string,
  maxNodes: number,
  maxDepth = Number.MAX_SAFE_INTEGER,
): { offset: number; what: string; budget: 'maxYamlNodes' | 'maxDepth' } | undefined {
  const maxTokens = maxNodes * 2;
  let nodes = 0;
  let tokens = 0;
  let offset = 0;
  let flowDepth = 0;
  for (const token of new Lexer().lex(text)) {
    const control = token.length === 1 && CONTROL.test(token);
    const type = CST.tokenType(token);
    if (control && type === 'scalar') {
      if (++nodes > maxNodes) return { offset, what: `this file holds more than ${maxNodes.toLocaleString('en-US')} YAML nodes`, budget: 'maxYamlNodes' };
    } else if (!control) {
      if (type && NODE_TOKENS.has(type) && type !== 'scalar' && ++nodes > maxNodes) {
        return { offset, what: `this file holds more than ${maxNodes.toLocaleString('en-US')} YAML nodes`, budget: 'maxYamlNodes' };
      }
      if ((!type || !TRIVIA.has(type)) && ++tokens > maxTokens) {
        return { offset, what: `this file holds more than ${maxTokens.toLocaleString('en-US')} YAML tokens`, budget: 'maxYamlNodes' };
      }
      // Flow collections nest without indentation: `[[[[...` thousands deep would overflow the parser.
      if (type === 'flow-seq-start' || type === 'flow-map-start') {
        if (++flowDepth > maxDepth)
          return { offset, what: `nesting is too deep (more than ${maxDepth.toLocaleString('en-US')} levels of [ and {)`, budget: 'maxDepth' };
      } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
        // An unmatched `]` or `}` is one parse error (and error objects cost memory like nodes).
        if (flowDepth === 0 && ++nodes > maxNodes)
          return { offset, what: `this file holds more than ${maxNodes.toLocaleString('en-US')} YAML nodes or stray brackets`, budget: 'maxYamlNodes' };
        flowDepth = Math.max(0, flowDepth - 1);
      }
      offset += token.length;
    }
  }
  return undefined;
}

export function parseText(f: DiscoveredFile, text: string, limits: ParseLimits = CEILING_LIMITS): Omit<ParsedFile, 'bytes'> {
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const lines = new LineCounter();

  const over = preScan(text, limits.maxYamlNodes, limits.maxDepth);
  if (over) {
    const p = positionAt(text, over.offset);
    const limit = over.budget === 'maxDepth' ? limits.maxDepth : limits.maxYamlNodes;
    return {
      documents,
      diagnostics: [overBudget(over.budget, limit, `${over.what}; it is not parsed`, { file: f.file, ...p })],
      nodes: 0,
      exhausted: over.budget === 'maxYamlNodes',
    };
  }

  // biome-ignore lint/suspicious/noImplicitAnyLet: its type is the parser's overload chosen by the options below (narrowed by control flow)
  let docs;
  // Parse errors are data here: without stack traces a million of them cost little.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // resolveKnownTags: false: YAML 1.1's !!binary, !!timestamp, !!set, !!omap and
    // !!pairs would become a Uint8Array, a Date, a Set or a Map, which are no JSON:
    // a connection_info holding one was silently mangled ({"0":104,...}, {}). Left
    // unresolved they stay plain values, with a yaml-warning at the tag.
    docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: false, strict: true, resolveKnownTags: false });
  } catch (err) {
    // The parser recursing too deep on absurd nesting, and the like.
    const reason = err instanceof Error ? err.message : String(err);
    const message = STACK_OVERFLOW.test(reason) ? TOO_DEEP : `cannot parse YAML (${reason})`;
    return { documents, diagnostics: [fileDiagnostic(f.file, 'yaml-syntax', message)], nodes: 0, exhausted: false };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  // parseAllDocuments returns an EmptyStream (an array with `empty`) for an empty file.
  const list = Array.isArray(docs) ? docs : [];
  const raw: RawYamlError[] = [];
  let nodes = 0;
  let exhausted = false;
  list.forEach((doc, index) => {
    const source: SourceDocument = { file: f.file, absPath: f.absPath, index, doc, lines, text };
    for (const problem of doc.warnings) {
      const pos = positionOfOffset(source, problem.pos[0]);
      diagnostics.push({
        severity: 'warning',
        code: 'yaml-warning',
        message: firstLine(problem.message),
        file: f.file,
        line: pos.line,
        column: pos.column,
        path: '',
      });
    }
    for (const problem of doc.errors) raw.push({ code: problem.code, message: firstLine(problem.message), start: problem.pos[0], end: problem.pos[1] });
    if (doc.errors.length > 0 || doc.contents === null || exhausted) return;

    const report = inspectDocument(source, {
      maxYamlNodes: limits.maxYamlNodes - nodes,
      maxDepth: limits.maxDepth,
      maxKeysPerMapping: limits.maxKeysPerMapping,
      maxAliases: MAX_ALIASES_PER_DOCUMENT,
    });
    nodes += report.stats.nodes;
    for (const problem of report.problems) {
      const pos = positionOfOffset(source, problem.offset);
      const at = { file: f.file, line: pos.line, column: pos.column };
      if (problem.kind === 'budget') {
        diagnostics.push(overBudget(problem.budget, problem.limit, problem.message, at));
        if (problem.budget === 'maxYamlNodes') exhausted = true;
      } else {
        diagnostics.push({ severity: 'error', code: problem.code, message: problem.message, ...at, path: '' });
      }
    }
    if (report.problems.length > 0) return;

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const pos = positionOfOffset(source, doc.range[0]);
      const reason = err instanceof Error ? err.message : String(err);
      const aliasBomb = err instanceof ReferenceError && /alias/i.test(reason);
      diagnostics.push({
        severity: 'error',
        code: aliasBomb ? 'yaml-alias-limit' : 'yaml-syntax',
        message: aliasBomb
          ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): refusing to expand this document`
          : STACK_OVERFLOW.test(reason)
            ? TOO_DEEP
            : `cannot read document (${reason})`,
        file: f.file,
        line: pos.line,
        column: pos.column,
        path: '',
      });
      return;
    }
    // An empty document (`---` with nothing after it, or only comments) is no document.
    if (value === null || value === undefined) return;
    documents.push({ source, value, stats: report.stats });
  });
  const overflow = raw.find((e) => STACK_OVERFLOW.test(e.message));
  if (overflow) {
    // The parser overflows its stack once per level beyond what it can nest: one diagnostic says it all.
    const p = positionAt(text, overflow.start);
    diagnostics.push(fileDiagnostic(f.file, 'yaml-syntax', TOO_DEEP, p.line, p.column));
  } else if (raw.length > 0) {
    const source: SourceDocument | undefined = list[0] ? { file: f.file, absPath: f.absPath, index: 0, doc: list[0], lines, text } : undefined;
    for (const d of collapseSyntaxErrors(raw, text, (offset) => (source ? positionOfOffset(source, offset) : positionAt(text, offset)), f.file))
      diagnostics.push(d);
  }
  return { documents, diagnostics, nodes, exhausted };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Line and column of an offset (1-based), counting in one pass. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
