// The names of the fields the schema declares as secrets (`$ref: SecretRef`),
// and masking of YAML source lines that hold such a field's value. Used where
// the config's own text is echoed back (validate's source excerpts): a
// plaintext secret (an error, or a warning with allow_plaintext_secrets) must
// not reach a terminal or a CI log through the excerpt under its diagnostic.
import { poolformSchema } from './schema-validator.ts';
import type { JsonSchema } from './schema-validator.ts';
import { isSecretRef } from './secrets.ts';

const SECRET_REF = '#/$defs/SecretRef';
export const MASK = '(sensitive)';

let cached: ReadonlySet<string> | undefined;

/** Every property name whose schema is a SecretRef, anywhere in the schema. */
export function secretFieldNames(): ReadonlySet<string> {
  if (cached) return cached;
  const names = new Set<string>();
  const seen = new Set<JsonSchema>();
  const visit = (schema: unknown): void => {
    if (schema === null || typeof schema !== 'object' || seen.has(schema as JsonSchema)) return;
    seen.add(schema as JsonSchema);
    if (Array.isArray(schema)) {
      for (const s of schema) visit(s);
      return;
    }
    const props = (schema as JsonSchema)['properties'];
    if (props !== null && typeof props === 'object') {
      for (const [name, p] of Object.entries(props as Record<string, JsonSchema>)) {
        if (p['$ref'] === SECRET_REF) names.add(name);
      }
    }
    for (const v of Object.values(schema as Record<string, unknown>)) visit(v);
  };
  visit(poolformSchema());
  cached = names;
  return cached;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let keyPattern: RegExp | undefined;

/** The end (exclusive) of the YAML scalar that starts at `from`. */
function scalarEnd(line: string, from: number, flow: boolean): number {
  const first = line[from];
  if (first === '"' || first === "'") {
    const close = line.indexOf(first, from + 1);
    return close === -1 ? line.length : close + 1;
  }
  if (line.startsWith('${', from)) {
    const close = line.indexOf('}', from);
    return close === -1 ? line.length : close + 1;
  }
  let i = from;
  for (; i < line.length; i++) {
    const ch = line[i];
    if (flow && (ch === ',' || ch === '}')) break;
    if (ch === '#' && /\s/.test(line[i - 1] ?? '')) break;
  }
  while (i > from && /\s/.test(line[i - 1] ?? '')) i--;
  return i;
}

/**
 * `line` with the value of every secret field on it replaced by `(sensitive)`
 * (block style `key: value` and flow style `{ key: value, ... }`), and the
 * password of any `scheme://user:password@host` URL (a database URL) masked.
 * References (`${env:NAME}`, `${file:PATH}`), the SSO placeholder and
 * block-scalar indicators (`|`, `>`) are kept: they are not secrets.
 */
export function maskSecretLine(line: string): string {
  // `url` (Settings.state.url) is a secret field, but LDAP URLs are not: for URLs only the password part is masked.
  keyPattern ??= new RegExp(`(?:^|[\\s{,\\-])["']?(?:${[...secretFieldNames()].filter((n) => n !== 'url').map(escapeRegExp).join('|')})["']?\\s*:[ \\t]+`, 'g');
  let out = '';
  let last = 0;
  for (const m of line.matchAll(keyPattern)) {
    const from = (m.index ?? 0) + m[0].length;
    if (from < last) continue;
    const flow = line.lastIndexOf('{', from) !== -1;
    const end = scalarEnd(line, from, flow);
    const bare = line.slice(from, end).trim().replace(/^(["'])(.*)\1$/, '$2');
    if (bare === '' || isSecretRef(bare) || bare === '{sso_cred}' || /^[|>][+-]?\d*$/.test(bare)) continue;
    out += line.slice(last, from) + MASK;
    last = end;
  }
  out += line.slice(last);
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@\s/]+)@/gi, `$1${MASK}@`);
}
