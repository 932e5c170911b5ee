// Belt and braces for every printed or saved plan: the planner never puts a
// secret into a plan, but a value under a secret-looking key is redacted
// again before it leaves the process (text, JSON, saved plan files).
import type { JsonObject, JsonValue } from '../state/types.ts';
import { SENSITIVE } from './types.ts';

const SECRET_KEY = /password|secret|token|credential|private_key|passphrase|user_data|jwt|startup_script/i;
/** Per-session placeholders, not secrets. */
const PLACEHOLDERS = new Set(['{sso_username}', '{sso_cred}', SENSITIVE]);

export function redactValue(value: JsonValue, key = ''): JsonValue {
  // Only text can hold a secret (flags such as use_user_private_key: true stay visible).
  if (key && SECRET_KEY.test(key) && typeof value === 'string' && !PLACEHOLDERS.has(value)) return SENSITIVE;
  if (Array.isArray(value)) return value.map((v) => redactValue(v));
  if (value !== null && typeof value === 'object') return redactObject(value);
  return value;
}

export function redactObject(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) out[k] = redactValue(v, k);
  return out;
}

export function redactNullable(obj: JsonObject | null): JsonObject | null {
  return obj === null ? null : redactObject(obj);
}
