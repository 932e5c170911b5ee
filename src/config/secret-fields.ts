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
let cachedAll: ReadonlySet<string> | undefined;

/** Every property name anywhere in the schema (secret or not). */
function schemaFieldNames(): ReadonlySet<string> {
  if (cachedAll) return cachedAll;
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (schema: unknown): void => {
    if (schema === null || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    const props = (schema as JsonSchema)['properties'];
    if (!Array.isArray(schema) && props !== null && typeof props === 'object') for (const name of Object.keys(props)) names.add(name);
    for (const v of Object.values(schema as Record<string, unknown>)) visit(v);
  };
  visit(poolformSchema());
  cachedAll = names;
  return cachedAll;
}

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

/** Any `key:` (block or flow style), capturing the key. */
const KEY = /(?:^|[\s{,\-])["']?([A-Za-z0-9_.-]+)["']?\s*:[ \t]+/g;

function editDistanceAtMost(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return false;
    prev = cur;
  }
  return (prev[b.length] ?? max + 1) <= max;
}

/**
 * Whether the value of `key` must be masked: a secret field of the schema, or
 * a misspelling of one (within two edits: `bind_pasword` is an unknown field,
 * but its value is still the password the admin meant to write). Other
 * unknown keys (`password_hint`) are shown.
 * `url` is a secret field (state.url) but LDAP URLs are not: only URL passwords are masked.
 */
export function isSecretLikeKey(key: string): boolean {
  if (key === 'url') return false;
  const names = secretFieldNames();
  if (names.has(key)) return true;
  if (schemaFieldNames().has(key)) return false; // a known field that is not a secret (checkin_token_lifetime)
  if (key.length < 5) return false;
  for (const n of names) if (n !== 'url' && editDistanceAtMost(key.toLowerCase(), n, 2)) return true;
  return false;
}

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
 * `line` with the value of every secret field on it (and of keys that look
 * like one, see isSecretLikeKey) replaced by `(sensitive)`
 * (block style `key: value` and flow style `{ key: value, ... }`), and the
 * password of any `scheme://user:password@host` URL (a database URL) masked.
 * References (`${env:NAME}`, `${file:PATH}`), the SSO placeholder and
 * block-scalar indicators (`|`, `>`) are kept: they are not secrets.
 */
export function maskSecretLine(line: string): string {
  // `url` (Settings.state.url) is a secret field, but LDAP URLs are not: for URLs only the password part is masked.
  let out = '';
  let last = 0;
  for (const m of line.matchAll(KEY)) {
    if (!isSecretLikeKey(m[1] ?? '')) continue;
    const from = (m.index ?? 0) + m[0].length;
    if (from < last) continue;
    const flow = line.lastIndexOf('{', from) !== -1;
    const end = scalarEnd(line, from, flow);
    const bare = line
      .slice(from, end)
      .trim()
      .replace(/^(["'])(.*)\1$/, '$2');
    if (bare === '' || isSecretRef(bare) || bare === '{sso_cred}' || /^[|>][+-]?\d*$/.test(bare)) continue;
    out += line.slice(last, from) + MASK;
    last = end;
  }
  out += line.slice(last);
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@\s/]+)@/gi, `$1${MASK}@`);
}
