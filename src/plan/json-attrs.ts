// Typed reads from resource attributes (JsonObject), which come back from the
// state store and saved plans as plain JSON.
import type { JsonObject, JsonValue } from '../model/json.ts';

export function str(attrs: JsonObject | null | undefined, key: string): string | null {
  const v = attrs?.[key];
  return typeof v === 'string' ? v : null;
}

export function num(attrs: JsonObject | null | undefined, key: string): number | null {
  const v = attrs?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function bool(attrs: JsonObject | null | undefined, key: string): boolean | null {
  const v = attrs?.[key];
  return typeof v === 'boolean' ? v : null;
}

/** Deep structural equality of JSON values (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (typeof a === 'object') {
    if (typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Converts an arbitrary value from the config (already JSON-shaped) into a JsonValue, dropping undefined. */
export function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}
