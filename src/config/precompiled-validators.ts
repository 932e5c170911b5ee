// Schema validators compiled ahead of time. In the sources there are none: the
// validator is compiled from the schema at first use (schema-validator.ts).
// `npm run build` replaces this module with ajv's standalone code generated
// from the same schema and options (scripts/build-validators.ts), so the
// shipped CLI neither loads ajv's compiler nor compiles anything at start.
import type { ValidateFunction } from 'ajv/dist/2020.js';

export interface PrecompiledValidators {
  /** The validator of one document (schemaForAjv()). */
  document: ValidateFunction;
  /** Item validators by `#/$defs/...` reference (splittableItemRefs()). */
  refs: Record<string, ValidateFunction>;
}

export const precompiled: PrecompiledValidators | undefined = undefined;
