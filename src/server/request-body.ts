// Request-body reading and field checks shared by the routes. Bodies are
// limited to 64 KiB by the bodyLimit middleware before they reach here.
import type { Context } from 'hono';
import { ApiError } from './errors.ts';
import { CONTROL_CHARACTER } from '../util/display-safe.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** The JSON object in the body; 400 for invalid JSON or a non-object. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') throw new ApiError(400, 'invalid_body', 'request body must be a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_body', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** A string field; absent/null → undefined unless required. */
export function stringField(body: Record<string, unknown>, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (opts.required) throw new ApiError(400, 'invalid_field', `"${name}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ApiError(400, 'invalid_field', `"${name}" must be a string`);
  if (opts.required && v.trim() === '') throw new ApiError(400, 'invalid_field', `"${name}" must not be empty`);
  const max = opts.max ?? 1024;
  if (v.length > max) throw new ApiError(400, 'invalid_field', `"${name}" is longer than ${max} characters`);
  return v;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const CONTROL = CONTROL_CHARACTER;

/**
 * 400 when an identifier (a user name) holds control characters or lone
 * surrogates (`"\ud800"` is valid JSON, but the store would turn it into
 * U+FFFD, so two different names would become one user).
 */
export function rejectControl(name: string, value: string): string {
  if (CONTROL.test(value)) throw new ApiError(400, 'invalid_field', `"${name}" must not contain control characters`);
  if (LONE_SURROGATE.test(value)) throw new ApiError(400, 'invalid_field', `"${name}" must be valid Unicode text (no lone surrogates)`);
  return value;
}
