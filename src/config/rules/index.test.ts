import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES, RULES } from './index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('diagnostic codes', () => {
  it('every code a rule or the loader reports is listed, documented in docs/configuration.md and tested', () => {
    const sources = [
      ...readdirSync(here)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => `${here}${f}`),
      `${here}../load.ts`,
      `${here}../parse.ts`,
    ];
    const reported = new Set<string>();
    for (const file of sources) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'(?:error|warning)',\s*'([a-z0-9-]+)'|(?:dirDiagnostic|fileDiagnostic)\([^,]*?'([a-z0-9-]+)'/g)) {
        reported.add(m[1] ?? m[2] ?? '');
      }
    }
    const listed = Object.keys(DIAGNOSTIC_CODES);
    const docs = readFileSync(`${root}docs/configuration.md`, 'utf8');
    const tests = readdirSync(here)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(`${here}${f}`, 'utf8'))
      .join('\n');
    expect(reported.size).toBeGreaterThan(20);
    for (const code of reported) {
      expect(listed, code).toContain(code);
      expect(docs.includes(`\`${code}\``), `${code} documented`).toBe(true);
    }
    const ruleCodes = [...reported].filter(
      (c) =>
        ![
          'yaml-syntax',
          'yaml-warning',
          'file-too-large',
          'file-unreadable',
          'not-text',
          'not-utf8',
          'no-config-files',
          'config-dir-missing',
          'config-dir-unreadable',
          'yaml-alias-limit',
          'internal-error',
        ].includes(c),
    );
    for (const code of ruleCodes) expect(tests.includes(code), `${code} has a test`).toBe(true);
    expect(RULES.length).toBeGreaterThan(15);
  });
});
