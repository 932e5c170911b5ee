// The source of the precompiled schema validators that `npm run build` puts in
// place of src/config/precompiled-validators.ts: ajv's standalone code for the
// document validator and every item validator, compiled from exactly the
// schema and options the sources compile at run time (schema-validator.ts).
import { Ajv2020 } from 'ajv/dist/2020.js';
import standalone from 'ajv/dist/standalone/index.js';
import { AJV_OPTIONS, poolformSchema, schemaForAjv, splittableItemRefs } from '../src/config/schema-validator.ts';

export function precompiledValidatorsModule(): string {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  ajv.addSchema(schemaForAjv());
  const id = String(poolformSchema()['$id']);
  const refs = splittableItemRefs();
  const exports: Record<string, string> = { document: id };
  for (const [i, ref] of refs.entries()) exports[`ref${i}`] = `${id}${ref}`;
  // ajv/dist/standalone is CommonJS: its function is the module's `default` property.
  type Generate = (ajv: Ajv2020, refs: Record<string, string>) => string;
  const module = standalone as unknown as { default?: Generate } & Generate;
  const generate: Generate = module.default ?? module;
  let code = generate(ajv, exports);
  // ajv's runtime helpers come as require() calls; this module is ESM.
  const imports: string[] = [];
  code = code.replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)/g, (_m: string, path: string) => {
    const name = `runtime_${path.split('/').at(-1) ?? ''}`;
    if (!imports.some((i) => i.includes(` ${name} `))) imports.push(`import ${name} from "${path}.js";`);
    return name;
  });
  if (/\brequire\(/.test(code)) throw new Error('precompiled validators: an unexpected require() in ajv standalone code');
  const table = refs.map((ref, i) => `${JSON.stringify(ref)}: ref${i}`).join(', ');
  return `${imports.join('\n')}\n${code.replace(/^"use strict";/, '')}\nexport const precompiled = { document, refs: { ${table} } };\n`;
}
