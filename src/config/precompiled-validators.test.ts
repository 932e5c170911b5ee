// The validators the build ships precompiled (scripts/build-validators.ts)
// judge every document exactly like the validator compiled at run time: same
// verdict, same errors, same defaults filled in. The generated module is
// imported from memory (a data: URL), with ajv's runtime helpers by file URL.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { precompiledValidatorsModule } from '../../scripts/build-validators.ts';
import { propertyRuns } from '../testing/property-runs.ts';
import type { PrecompiledValidators } from './precompiled-validators.ts';
import { AJV_OPTIONS, poolformSchema, schemaForAjv, splittableItemRefs } from './schema-validator.ts';

const root = new URL('../../', import.meta.url);
const require = createRequire(import.meta.url);

async function loadPrecompiled(): Promise<PrecompiledValidators> {
  const code = precompiledValidatorsModule().replace(
    /from "(ajv\/dist\/runtime\/[a-z0-9]+\.js)"/g,
    (_m, path: string) => `from ${JSON.stringify(pathToFileURL(require.resolve(path)).href)}`,
  );
  return ((await import(`data:text/javascript,${encodeURIComponent(code)}`)) as { precompiled: PrecompiledValidators }).precompiled;
}

const ajv = new Ajv2020(AJV_OPTIONS);
const compiled = ajv.compile(schemaForAjv());
const id = String(poolformSchema()['$id']);

function verdict(validate: ValidateFunction, doc: unknown): { valid: boolean; doc: unknown; errors: unknown } {
  const copy = structuredClone(doc);
  const valid = validate(copy) as boolean;
  const errors = (validate.errors ?? []).map((e) => ({
    instancePath: e.instancePath,
    keyword: e.keyword,
    params: e.params,
    message: e.message,
    schemaPath: e.schemaPath,
  }));
  return { valid, doc: copy, errors: valid ? [] : errors };
}

const exampleDocs: unknown[] = readdirSync(new URL('config.example/', root))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(new URL(`config.example/${f}`, root), 'utf8')).map((d) => d.toJS() as unknown));

describe('precompiled schema validators', () => {
  it('judge config.example and its documents with a field broken, removed or added like the compiled validator', async () => {
    const pre = await loadPrecompiled();
    expect(exampleDocs.length).toBeGreaterThan(5);
    for (const doc of exampleDocs) expect(verdict(pre.document, doc)).toEqual(verdict(compiled, doc));
    fc.assert(
      fc.property(
        fc.constantFrom(...exampleDocs),
        fc.constantFrom('remove', 'null', 'number', 'string', 'unknown-field', 'empty-array'),
        fc.nat(),
        (doc, mutation, pick) => {
          const copy = structuredClone(doc) as Record<string, unknown>;
          const keys = Object.keys(copy);
          const key = keys[pick % keys.length] ?? 'kind';
          if (mutation === 'remove') delete copy[key];
          else if (mutation === 'null') copy[key] = null;
          else if (mutation === 'number') copy[key] = pick;
          else if (mutation === 'string') copy[key] = `s${pick}`;
          else if (mutation === 'unknown-field') copy[`unknown_${pick}`] = true;
          else copy[key] = [];
          expect(verdict(pre.document, copy)).toEqual(verdict(compiled, copy));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('ship an item validator for every splittable array, equal to the compiled one', async () => {
    const pre = await loadPrecompiled();
    expect(Object.keys(pre.refs).sort()).toEqual(splittableItemRefs());
    for (const ref of splittableItemRefs()) {
      const fromAjv = ajv.getSchema(`${id}${ref}`);
      expect(fromAjv, ref).toBeDefined();
      const items = exampleDocs.flatMap((d) =>
        Object.values(d as Record<string, unknown>)
          .filter(Array.isArray)
          .flat(),
      );
      for (const item of [...items, {}, { name: 7 }, null]) {
        expect(verdict(pre.refs[ref] as ValidateFunction, item)).toEqual(verdict(fromAjv as ValidateFunction, item));
      }
    }
  });
});
