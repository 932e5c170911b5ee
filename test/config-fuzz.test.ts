// Issue 11: fuzzing the loader with mutated config.example/ files (fast-check,
// fixed seed). Whatever the mutation, loading ends in diagnostics, never an
// exception: every error names its file (and a line, when the problem is
// inside a file), the text report has no stack trace, and the work stays
// bounded (diagnostic count, heap). A few mutated directories also go
// through the CLI, which must exit 0, 1 or 2 without a stack trace.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { formatText } from '../src/config/format.ts';
import type { Diagnostic } from '../src/config/model.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = join(root, 'config.example');
const yamlFiles = readdirSync(example)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const originals = new Map(yamlFiles.map((f) => [f, readFileSync(join(example, f), 'utf8')]));

/** Diagnostics about the directory as a whole: no file to name. */
const DIRECTORY_CODES = new Set([
  'config-dir-missing',
  'config-dir-unreadable',
  'no-config-files',
  'no-config-documents',
  'internal-error',
  'config-load-failed',
]);

const SNIPPETS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ': :',
  '- ',
  '? ',
  '&a ',
  '*a',
  '*missing',
  '!!binary ',
  '!tag ',
  '%YAML 1.2',
  '---',
  '...',
  '"',
  "'",
  '#',
  '|',
  '>-',
  '\t',
  '${file:/dev/zero}',
  '${file:.}',
  '${env:}',
  '<<: *a',
  'x: &a {self: *a}',
  '\u0000',
  '\uFEFF',
  '\u202E',
  '9'.repeat(400),
  'y'.repeat(5000),
];

type Mutation =
  | { kind: 'delete-line'; at: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'indent'; at: number; by: number }
  | { kind: 'insert'; at: number; snippet: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'repeat'; at: number; times: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), snippet: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 12 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), times: fc.integer({ min: 2, max: 2_000 }) }),
);

function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = lines.length === 0 ? 0 : m.at % lines.length;
  switch (m.kind) {
    case 'delete-line':
      lines.splice(i, 1);
      return lines.join('\n');
    case 'duplicate-line':
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    case 'indent': {
      const line = lines[i] ?? '';
      lines[i] = m.by >= 0 ? `${' '.repeat(m.by)}${line}` : line.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.snippet + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'swap': {
      const j = m.other % lines.length;
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      return lines.join('\n');
    }
    case 'repeat':
      lines.splice(i, 1, ...Array.from({ length: m.times }, () => lines[i] ?? ''));
      return lines.join('\n');
    default: {
      const never: never = m;
      return String(never);
    }
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function mutatedDir(file: string, mutations: readonly Mutation[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-fuzz-'));
  dirs.push(dir);
  cpSync(example, dir, { recursive: true });
  let text = originals.get(file) ?? '';
  for (const m of mutations) text = mutate(text, m);
  writeFileSync(join(dir, file), text);
  return dir;
}

function checkDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    expect(['error', 'warning']).toContain(d.severity);
    expect(typeof d.message).toBe('string');
    expect(d.message).not.toMatch(/\n\s+at |Maximum call stack|heap out of memory/);
    if (d.file === '') {
      expect(DIRECTORY_CODES.has(d.code), `${d.code} without a file: ${d.message}`).toBe(true);
    } else {
      expect(d.line, `${d.code} in ${d.file} without a line`).toBeGreaterThanOrEqual(1);
      expect(d.column).toBeGreaterThanOrEqual(1);
    }
  }
}

describe('fuzzing config.example (issue 11)', () => {
  it('mutated files always load to diagnostics with file:line, bounded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...yamlFiles), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (file, mutations) => {
        const dir = mutatedDir(file, mutations);
        const r = await loadConfig(dir);
        checkDiagnostics(r.diagnostics);
        // Bounded: at most a few diagnostics per line written (syntax errors collapse to one per file).
        const lines =
          [...originals.values()].reduce((n, t) => n + t.split('\n').length, 0) + mutations.reduce((n, m) => n + (m.kind === 'repeat' ? m.times : 1), 0);
        expect(r.diagnostics.length).toBeLessThanOrEqual(2 * lines + 50);
        const text = formatText(r.diagnostics, { dir });
        expect(text).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
        expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: Number(process.env.POOLFORM_FUZZ_RUNS ?? 80), seed: Number(process.env.POOLFORM_FUZZ_SEED ?? 11_2026), endOnFailure: true },
    );
  }, 120_000);

  it('the CLI exits 0, 1 or 2 without a stack trace on mutated directories', () => {
    const samples = fc.sample(fc.tuple(fc.constantFrom(...yamlFiles), fc.array(mutation, { minLength: 1, maxLength: 3 })), { numRuns: 4, seed: 42 });
    for (const [file, mutations] of samples) {
      const dir = mutatedDir(file, mutations);
      const r = spawnSync(process.execPath, [join(root, 'bin/poolform.js'), 'validate', dir], { encoding: 'utf8' });
      expect([0, 1, 2]).toContain(r.status);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n|Error: /);
    }
  }, 120_000);
});
