// Regenerates the configuration field reference docs/reference/configuration.md
// from schemas/poolform.schema.json: `node scripts/gen-config-docs.ts`
// (`--check` exits 1 when the page is stale). Hand-written pages under docs/
// are never generated; see docs/index.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderReferencePage } from './gen-config-docs-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const docPath = `${root}docs/reference/configuration.md`;
const schema = JSON.parse(await readFile(`${root}schemas/poolform.schema.json`, 'utf8')) as Record<string, unknown>;
const next = renderReferencePage(schema);
if (process.argv.includes('--check')) {
  const current = await readFile(docPath, 'utf8').catch(() => '');
  if (next !== current) {
    console.error('docs/reference/configuration.md is stale: run `npm run gen`');
    process.exitCode = 1;
  }
} else {
  await mkdir(`${root}docs/reference`, { recursive: true });
  await writeFile(docPath, next);
  console.log('wrote docs/reference/configuration.md');
}
