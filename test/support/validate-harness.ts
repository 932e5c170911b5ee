// Shared scaffolding of the provider validate suites (test/<provider>-validate.test.ts):
// the YAML blocks a provider page marks as "validated by <test file>", a
// throw-away config directory run through loadConfig, and a one-document YAML
// builder with per-test overrides.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Diagnostic } from '../../src/config/model.ts';

/** Every ```yaml block after the "validated by <testFile>" marker of a docs page (`doc`: a file URL). */
export function docYamlBlocks(doc: URL, testFile: string): string[] {
  const text = readFileSync(doc, 'utf8');
  const marker = text.indexOf(`validated by ${testFile}`);
  if (marker < 0) throw new Error('worked example not found');
  return [...text.slice(marker).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** The first ```yaml block after the "validated by <testFile>" marker: the page's worked example. */
export function docExample(doc: URL, testFile: string): string {
  const text = readFileSync(doc, 'utf8');
  const marker = text.indexOf(`validated by ${testFile}`);
  const match = /```yaml\n([\s\S]*?)```/.exec(text.slice(marker));
  if (marker < 0 || !match?.[1]) throw new Error('worked example not found');
  return match[1];
}

/**
 * The diagnostics of a config directory holding `yaml` as config.yaml and
 * `files` (name → content) beside it; the directory is removed afterwards.
 */
export async function validateYaml(prefix: string, yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    writeFileSync(join(dir, 'config.yaml'), yaml);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return (await loadConfig(dir)).diagnostics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const errors = (diagnostics: Diagnostic[]): Diagnostic[] => diagnostics.filter((d) => d.severity === 'error');

/** One YAML document of `key: value` lines: `defaults` with `over` applied; a field whose value is '' is left out. */
export function yamlDoc(defaults: Record<string, string>, over: Record<string, string> = {}): string {
  const fields: Record<string, string> = { ...defaults, ...over };
  return Object.entries(fields)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}
