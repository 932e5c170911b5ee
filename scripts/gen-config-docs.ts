// Regenerates the field reference in docs/readme/10-config.md from
// schemas/poolform.schema.json: `node scripts/gen-config-docs.ts`
// (`--check` exits 1 when the document is stale).
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spliceFieldReference } from './gen-config-docs-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const docPath = `${root}docs/readme/10-config.md`;
const schema = JSON.parse(await readFile(`${root}schemas/poolform.schema.json`, 'utf8')) as Record<string, unknown>;
const current = await readFile(docPath, 'utf8');
const next = spliceFieldReference(current, schema);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('docs/readme/10-config.md is stale: run `node scripts/gen-config-docs.ts`');
    process.exitCode = 1;
  }
} else {
  await writeFile(docPath, next);
  console.log('wrote docs/readme/10-config.md');
}
