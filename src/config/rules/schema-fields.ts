// Field lists derived from the schema's descriptions, so the schema stays the
// single source of truth: a property whose description starts with
// "Server pools" / "Docker agent pools" applies to that pool type only, and
// one whose description mentions "SSH only" applies to SSH connections only.
import { poolformSchema } from '../schema-validator.ts';
import type { JsonSchema } from '../schema-validator.ts';

function properties(def: string): Record<string, JsonSchema> {
  const defs = poolformSchema()['$defs'] as Record<string, JsonSchema>;
  return (defs[def]?.['properties'] as Record<string, JsonSchema> | undefined) ?? {};
}

function matching(def: string, test: (description: string) => boolean): string[] {
  return Object.entries(properties(def))
    .filter(([, schema]) => typeof schema['description'] === 'string' && test(schema['description']))
    .map(([name]) => name);
}

export type PoolType = 'server' | 'docker_agent';

const cache = new Map<string, string[]>();
function cached(key: string, compute: () => string[]): string[] {
  let v = cache.get(key);
  if (!v) cache.set(key, (v = compute()));
  return v;
}

/** Fields of `def` (Pool or AutoscaleConfig) that only pools of `type` may use. */
export function poolTypeOnlyFields(def: 'Pool' | 'AutoscaleConfig', type: PoolType): string[] {
  const prefix = type === 'server' ? /^Server pools\b/ : /^Docker agent pools\b/;
  return cached(`${def}:${type}`, () => matching(def, (d) => prefix.test(d)));
}

/** Fields of `def` (FixedServer or AutoscaleConfig) that only SSH connections may use. */
export function sshOnlyFields(def: 'FixedServer' | 'AutoscaleConfig'): string[] {
  return cached(`${def}:ssh`, () => matching(def, (d) => /\bSSH only\b/.test(d)));
}
