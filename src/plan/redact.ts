// Belt and braces for every printed or saved plan: the planner never puts a
// secret into a plan, but a value under a secret-looking key is redacted
// again before it leaves the process (text, JSON, saved plan files).
import type { JsonObject, JsonValue } from '../model/json.ts';
import { SENSITIVE } from './types.ts';

const SECRET_KEY = /password|secret|token|credential|private_key|passphrase|user_data|jwt|startup_script/i;
/** Per-session placeholders, not secrets. */
const PLACEHOLDERS = new Set(['{sso_username}', '{sso_cred}', SENSITIVE]);

export interface RedactOptions {
  /**
   * Also hide numbers, objects and arrays under a secret-looking key (pull-request
   * comments are public to the whole repository). Flags (booleans such as
   * use_user_private_key) stay visible either way.
   */
  strict?: boolean;
}

function hides(key: string, value: JsonValue, options: RedactOptions): boolean {
  if (!key || !SECRET_KEY.test(key) || value === null || typeof value === 'boolean') return false;
  if (typeof value === 'string') return !PLACEHOLDERS.has(value);
  return options.strict === true;
}

export function redactValue(value: JsonValue, key = '', options: RedactOptions = {}): JsonValue {
  // Only text can hold a secret unless strict (flags such as use_user_private_key: true stay visible).
  if (hides(key, value, options)) return SENSITIVE;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, '', options));
  if (value !== null && typeof value === 'object') return redactObject(value, options);
  return value;
}

export function redactObject(obj: JsonObject, options: RedactOptions = {}): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) out[k] = redactValue(v, k, options);
  return out;
}

export function redactNullable(obj: JsonObject | null, options: RedactOptions = {}): JsonObject | null {
  return obj === null ? null : redactObject(obj, options);
}
