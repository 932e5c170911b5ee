// Defensive redaction for anything printed from state (`state pull`, `state
// show`). Attributes, payloads and audit details should never hold secrets;
// if one slips in, a secret-looking key or a token-looking value is printed
// as `(sensitive)` instead.
import type { JsonValue } from './types.ts';

export const REDACTED = '(sensitive)';

/** Keys whose values are never printed (flags and numbers under them stay visible: use_user_private_key: true). */
export const SECRET_KEY = /password|passphrase|secret|token|credential|key|jwt|user_data|startup_script/i;

/** Values that look like credentials whatever their key: JWTs, PEM private keys, URLs with a password. */
function looksSecret(value: string): boolean {
  return (
    /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/.test(value) ||
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) ||
    /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i.test(value)
  );
}

/** A deep copy with secret-looking keys and values replaced by `(sensitive)`. */
export function redactJson<T extends JsonValue>(value: T): T;
export function redactJson(value: JsonValue): JsonValue {
  if (typeof value === 'string') return looksSecret(value) ? REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactJson(v));
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(value)) {
    const flag = typeof v === 'boolean' || typeof v === 'number';
    out[k] = SECRET_KEY.test(k) && v !== null && !flag ? REDACTED : redactJson(v);
  }
  return out;
}
