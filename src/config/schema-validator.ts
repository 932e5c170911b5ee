// Schema validation of one document with ajv (draft 2020-12). The validator is
// compiled once per process. Schema defaults are written into the validated
// value (useDefaults), so later stages see every defaulted field.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { precompiled } from './precompiled-validators.ts';

export const SCHEMA_URL = new URL('../../schemas/poolform.schema.json', import.meta.url);

export type JsonSchema = { [key: string]: unknown };

let schemaCache: JsonSchema | undefined;

/** The combined schema, as shipped in schemas/ (read once). */
export function poolformSchema(): JsonSchema {
  schemaCache ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as JsonSchema;
  return schemaCache;
}

/**
 * ajv's discriminator wants `properties.<tag>` on every oneOf branch; the
 * VmProvider and DnsProvider unions only have it in their own branches. The
 * copy given to ajv adds the `kind` const to the union schemas (the shipped
 * schema stays as it is, so the generated types stay plain unions).
 */
export function schemaForAjv(): JsonSchema {
  const copy = structuredClone(poolformSchema());
  const defs = copy['$defs'] as Record<string, JsonSchema>;
  for (const kind of ['VmProvider', 'DnsProvider']) {
    const def = defs[kind];
    if (def) def['properties'] = { kind: { const: kind } };
  }
  return copy;
}

let validatorCache: ValidateFunction | undefined;
let ajvCache: Ajv2020 | undefined;

/** How the validator is compiled (at first use, or ahead of time by the build: precompiled-validators.ts). */
export const AJV_OPTIONS: Options = {
  allErrors: true,
  discriminator: true,
  useDefaults: true,
  verbose: true,
  strict: true,
  strictRequired: false,
};

export function documentValidator(): ValidateFunction {
  if (!validatorCache && precompiled) validatorCache = precompiled.document;
  if (!validatorCache) {
    // ajv's compiler is loaded only here, when no precompiled validator ships (a clone).
    const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
    const ajv = new Ajv(AJV_OPTIONS);
    validatorCache = ajv.compile(schemaForAjv());
    ajvCache = ajv;
  }
  return validatorCache;
}

/**
 * Arrays of a document with more items than this are validated item by item.
 * With allErrors, ajv merges the errors of each `$ref`'d item into a new copy
 * of all the errors so far: 30,000 invalid fixed servers took minutes
 * (quadratic); item by item it is linear.
 */
const SPLIT_MIN_ITEMS = 64;
const ARRAY_KEYWORDS = new Set(['type', 'items', 'default', 'description']);
const itemValidators = new Map<string, ValidateFunction | null>();

/** The `#/$defs/...` reference of the items of `kind`'s top-level array property `prop`, when that array has no constraint of its own. */
function splittableItemRef(kind: string, prop: string): string | undefined {
  const defs = poolformSchema()['$defs'] as Record<string, JsonSchema> | undefined;
  const schema = (defs?.[kind]?.['properties'] as Record<string, JsonSchema> | undefined)?.[prop];
  const ref = (schema?.['items'] as JsonSchema | undefined)?.['$ref'];
  return schema && schema['type'] === 'array' && Object.keys(schema).every((k) => ARRAY_KEYWORDS.has(k)) && typeof ref === 'string' && ref.startsWith('#/')
    ? ref
    : undefined;
}

/** Every reference splittableItemRef can answer (the build precompiles their validators). */
export function splittableItemRefs(): string[] {
  const defs = (poolformSchema()['$defs'] ?? {}) as Record<string, JsonSchema>;
  const refs = Object.entries(defs).flatMap(([kind, def]) => Object.keys((def['properties'] ?? {}) as object).map((prop) => splittableItemRef(kind, prop)));
  return [...new Set(refs.filter((r): r is string => r !== undefined))].sort();
}

/** The validator of the items of `kind`'s top-level array property `prop`, when that array has no constraint of its own. */
function itemValidator(kind: string, prop: string): ValidateFunction | undefined {
  const key = `${kind}/${prop}`;
  let found = itemValidators.get(key);
  if (found === undefined) {
    found = null;
    const ref = splittableItemRef(kind, prop);
    const id = poolformSchema()['$id'];
    if (ref !== undefined && precompiled) {
      found = precompiled.refs[ref] ?? null;
    } else if (ref !== undefined && typeof id === 'string') {
      documentValidator();
      found = ajvCache?.getSchema(`${id}${ref}`) ?? null;
    }
    itemValidators.set(key, found);
  }
  return found ?? undefined;
}

/** Validates long top-level arrays item by item (their errors with the item's path), then the rest of the document without them. */
function validateSplit(value: Record<string, unknown>, kind: string): ErrorObject[] | undefined {
  const split: [string, unknown[], ValidateFunction][] = [];
  for (const [prop, v] of Object.entries(value)) {
    if (!Array.isArray(v) || v.length <= SPLIT_MIN_ITEMS) continue;
    const validate = itemValidator(kind, prop);
    if (validate) split.push([prop, v, validate]);
  }
  if (split.length === 0) return undefined;
  const errors: ErrorObject[] = [];
  for (const [prop, items, validateItem] of split) {
    const base = `/${prop.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    items.forEach((item, i) => {
      if (validateItem(item)) return;
      for (const e of validateItem.errors ?? []) errors.push({ ...e, instancePath: `${base}/${i}${e.instancePath}` });
    });
    value[prop] = [];
  }
  const validate = documentValidator();
  const rest = validate(value) ? [] : (validate.errors ?? []);
  for (const [prop, items] of split) value[prop] = items;
  return [...errors, ...rest];
}

/** A schema error, reduced to what a diagnostic needs. */
export interface SchemaIssue {
  /** JSON pointer of the offending value. */
  pointer: string;
  /** Point at the key rather than the value (unknown fields). */
  target: 'value' | 'key';
  message: string;
  /** Diagnostic code when a semantic rule owns this check (e.g. `schedule-time`); absent: `schema`. */
  code?: string;
}

/** Validates one document in place (filling defaults); returns its issues. */
export function validateDocument(value: unknown): SchemaIssue[] {
  const validate = documentValidator();
  const kind = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)['kind'] : undefined;
  const splitErrors = typeof kind === 'string' ? validateSplit(value as Record<string, unknown>, kind) : undefined;
  let errors: ErrorObject[];
  if (splitErrors) errors = splitErrors;
  else if (validate(value)) return [];
  else errors = validate.errors ?? [];
  if (errors.length === 0) return [];
  // `required` and the discriminator both report a missing `kind`/`type`: keep one of each.
  const seen = new Set<string>();
  return errors
    .map((error) => ownedByRule(error, describeError(error)))
    .filter((issue) => {
      const key = `${issue.pointer}\0${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

const SCHEDULE_FIELD = /\/schedules\/[0-9]+\/(start|end|timezone)$/;

/**
 * Schedule times and zones are also checked by the schedule rules
 * (rules/schedules.ts); when the schema catches them first the diagnostic
 * carries the rule's code and wording, so admins and CI filters see one
 * stable code per problem whichever layer found it.
 */
function ownedByRule(error: ErrorObject, issue: SchemaIssue): SchemaIssue {
  const field = SCHEDULE_FIELD.exec(error.instancePath)?.[1];
  if (field === undefined || typeof error.data !== 'string') return issue;
  if ((field === 'start' || field === 'end') && error.keyword === 'pattern') {
    const range = field === 'start' ? '00:00-23:59' : '00:00-24:00';
    return { ...issue, code: 'schedule-time', message: `${field} "${error.data}" is not HH:MM (${range})` };
  }
  if (field === 'timezone' && error.keyword === 'minLength') {
    return { ...issue, code: 'schedule-timezone', message: 'timezone is empty: write an IANA time zone (e.g. America/New_York, Europe/Berlin, UTC)' };
  }
  return issue;
}

const PROVIDER_TYPES: Record<string, string[]> = {
  VmProvider: ['aws', 'azure', 'gcp', 'oci', 'digital_ocean', 'kubevirt', 'harvester', 'vsphere', 'nutanix', 'local'],
  DnsProvider: ['route53', 'azure', 'gcp', 'oci', 'digital_ocean', 'local'],
};
const KINDS = ['Settings', 'Zone', 'VmProvider', 'DnsProvider', 'LdapConfig', 'Workspace', 'Pool'];

function lastSegment(pointer: string): string {
  const i = pointer.lastIndexOf('/');
  return i === -1
    ? ''
    : pointer
        .slice(i + 1)
        .replace(/~1/g, '/')
        .replace(/~0/g, '~');
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Closest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** ` (found "Kind": field names are case-sensitive)` when the object has the field in another case. */
function caseHint(data: unknown, name: string): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return '';
  const other = Object.keys(data).find((k) => k !== name && k.toLowerCase() === name.toLowerCase());
  return other === undefined ? '' : ` (found "${other}": field names are case-sensitive)`;
}

function field(pointer: string): string {
  const name = lastSegment(pointer);
  return name === '' ? '' : /^[0-9]+$/.test(name) ? `item ${name}: ` : `${name}: `;
}

function describeError(error: ErrorObject): SchemaIssue {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as JsonSchema;
  switch (error.keyword) {
    case 'additionalProperties': {
      const prop = String(params['additionalProperty']);
      const known = Object.keys((parent['properties'] as JsonSchema | undefined) ?? {});
      const hint = closest(prop, known);
      return {
        pointer: `${at}/${prop.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        target: 'key',
        message: `unknown field "${prop}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
      };
    }
    case 'required': {
      const missing = String(params['missingProperty']);
      return { pointer: at, target: 'value', message: `missing required field "${missing}"${caseHint(error.data, missing)}` };
    }
    case 'discriminator': {
      const tag = String(params['tag']);
      const isKind = tag === 'kind';
      if (params['error'] === 'tag' && error.data !== null && typeof error.data === 'object' && !(tag in error.data)) {
        return { pointer: at, target: 'value', message: `missing required field "${tag}"${caseHint(error.data, tag)}` };
      }
      const value = (error.data as Record<string, unknown> | null)?.[tag];
      const kind = (error.data as Record<string, unknown> | null)?.['kind'];
      const options = isKind ? KINDS : (PROVIDER_TYPES[String(kind)] ?? []);
      const hint = typeof value === 'string' ? (options.find((o) => o.toLowerCase() === value.toLowerCase()) ?? closest(value, options)) : undefined;
      const didYouMean = hint ? ` (did you mean "${hint}"?)` : '';
      return {
        pointer: `${at}/${tag}`,
        target: 'value',
        message: isKind
          ? `unknown kind ${show(value)}${didYouMean}: expected one of ${options.join(', ')}`
          : `unknown ${String(kind)} ${tag} ${show(value)}${didYouMean}: expected one of ${options.join(', ')}`,
      };
    }
    case 'enum':
      return {
        pointer: at,
        target: 'value',
        message: `${field(at)}${show(error.data)} is not one of: ${((params['allowedValues'] as unknown[]) ?? []).map((v) => String(v)).join(', ')}`,
      };
    case 'const':
      return { pointer: at, target: 'value', message: `${field(at)}must be ${show(params['allowedValue'])}` };
    case 'type': {
      // YAML 1.1 booleans are plain strings in YAML 1.2 (what poolform reads).
      const yaml11 = params['type'] === 'boolean' && typeof error.data === 'string' && /^(y|yes|n|no|on|off)$/i.test(error.data);
      const hint = yaml11 ? ` ${show(error.data)} (write true or false)` : '';
      return { pointer: at, target: 'value', message: `${field(at)}must be ${String(params['type'])}, got ${jsonType(error.data)}${hint}` };
    }
    case 'pattern': {
      const description = typeof parent['description'] === 'string' ? ` (${parent['description']})` : '';
      return { pointer: at, target: 'value', message: `${field(at)}invalid value ${show(error.data)}${description}` };
    }
    default:
      return { pointer: at, target: 'value', message: `${field(at)}${error.message ?? 'invalid'}` };
  }
}
