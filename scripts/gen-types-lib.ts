import { readFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';
import type { JSONSchema4 } from 'json-schema';

/** Renders the TypeScript types for the combined config schema. Pure apart from reading the schema. */
export async function renderGeneratedTypes(root: string): Promise<string> {
  const schema = JSON.parse(await readFile(`${root}schemas/poolform.schema.json`, 'utf8')) as JSONSchema4;
  return compile(schema, 'PoolformDocument', {
    bannerComment: '/* Generated from schemas/poolform.schema.json by `npm run gen` (json-schema-to-typescript). Do not edit. */',
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    format: true,
    cwd: `${root}schemas`,
  });
}
