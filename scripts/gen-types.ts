// Generates src/generated/config.ts from schemas/poolform.schema.json.
// The schema is the single source of truth; never edit the output by hand.
// `--check` exits 1 when the generated file is stale (used by the test suite).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderGeneratedTypes } from './gen-types-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = `${root}src/generated/config.ts`;
const rendered = await renderGeneratedTypes(root);
if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== rendered) {
    console.error('src/generated/config.ts is stale: run `npm run gen`');
    process.exitCode = 1;
  }
} else {
  await writeFile(target, rendered);
  console.log('wrote src/generated/config.ts');
}
