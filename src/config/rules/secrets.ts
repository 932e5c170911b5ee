// plaintext-secret: every field the schema types as SecretRef must be a
// reference, `${env:NAME}` or `${file:PATH}`. Plaintext is an error unless
// Settings.allow_plaintext_secrets is true (then a warning). The SSO
// placeholder `{sso_cred}` is not a secret. Messages never include the value.
// secret-ref-invalid: a value that looks like a reference (`${...}`) but is not
// a valid one (e.g. `${vault:x}`, `${env:}`).
import type { Rule } from './context.ts';
import type { PathSegment } from '../source.ts';
import { isSecretRef } from '../secrets.ts';
import { poolformSchema } from '../schema-validator.ts';
import type { JsonSchema } from '../schema-validator.ts';

const SECRET_REF = '#/$defs/SecretRef';
const PLACEHOLDERS = new Set(['{sso_cred}']);

function def(ref: string): JsonSchema | undefined {
  const name = ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : undefined;
  const defs = poolformSchema()['$defs'] as Record<string, JsonSchema>;
  return name ? defs[name] : undefined;
}

/** Calls `visit` for every string value the schema declares a SecretRef. */
export function walkSecrets(schema: JsonSchema, value: unknown, path: PathSegment[], visit: (path: PathSegment[], value: string) => void): void {
  const ref = schema['$ref'];
  if (ref === SECRET_REF) {
    if (typeof value === 'string') visit(path, value);
    return;
  }
  if (typeof ref === 'string') {
    const target = def(ref);
    if (target) walkSecrets(target, value, path, visit);
    return;
  }
  const oneOf = schema['oneOf'];
  const discriminator = schema['discriminator'] as { propertyName?: string } | undefined;
  if (Array.isArray(oneOf) && discriminator?.propertyName && value !== null && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[discriminator.propertyName];
    for (const branch of oneOf as JsonSchema[]) {
      const resolved = typeof branch['$ref'] === 'string' ? def(branch['$ref']) : branch;
      if (!resolved) continue;
      const tagSchema = (resolved['properties'] as Record<string, JsonSchema> | undefined)?.[discriminator.propertyName];
      const nested = resolved['discriminator'] !== undefined; // a union like VmProvider: recurse into it
      if (tagSchema?.['const'] === tag || (nested && !tagSchema)) walkSecrets(resolved, value, path, visit);
    }
    return;
  }
  const props = schema['properties'] as Record<string, JsonSchema> | undefined;
  if (props && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) {
      const p = props[key];
      if (p) walkSecrets(p, v, [...path, key], visit);
    }
  }
  const items = schema['items'] as JsonSchema | undefined;
  if (items && Array.isArray(value)) for (const [i, v] of value.entries()) walkSecrets(items, v, [...path, i], visit);
}

export const secretReferences: Rule = (ctx) => {
  const allow = ctx.config.settings.allow_plaintext_secrets === true;
  const docs: object[] = [...ctx.settingsDocuments, ...ctx.config.vmProviders, ...ctx.config.dnsProviders, ...ctx.config.ldapConfigs, ...ctx.config.pools];
  for (const doc of docs) {
    walkSecrets(poolformSchema(), doc, [], (path, value) => {
      const field = String(path[path.length - 1] ?? '');
      if (isSecretRef(value) || PLACEHOLDERS.has(value.trim())) return;
      if (value.trim().startsWith('${')) {
        ctx.report('error', 'secret-ref-invalid', `${field}: not a valid secret reference; write \${env:NAME} or \${file:PATH}`, { doc, path });
        return;
      }
      ctx.report(
        allow ? 'warning' : 'error',
        'plaintext-secret',
        allow
          ? `${field} holds a plaintext secret (allowed by Settings.allow_plaintext_secrets); prefer \${env:NAME} or \${file:PATH}`
          : `${field} holds a plaintext secret: write a reference, \${env:NAME} or \${file:PATH} (or set Settings.allow_plaintext_secrets: true)`,
        { doc, path },
      );
    });
  }
};
