// Renders the field reference of the config language from the schema's
// descriptions (the schema is the single source of truth). Used by
// scripts/gen-config-docs.ts, which writes the whole page
// docs/reference/configuration.md, and by a test that fails when it is stale.
// Provider variants (`$defs.VmProvider.oneOf`, `$defs.DnsProvider.oneOf`) are
// discovered from the schema, so a new provider type gets its section without
// editing this file.

type Schema = { [key: string]: unknown };

export const BEGIN = '<!-- BEGIN GENERATED FIELD REFERENCE (node scripts/gen-config-docs.ts) -->';
export const END = '<!-- END GENERATED FIELD REFERENCE -->';

type Section = { title: string; def: string };

const BEFORE_PROVIDERS: Section[] = [
  { title: 'Settings', def: 'Settings' },
  { title: 'Zone', def: 'Zone' },
];
const AFTER_PROVIDERS: Section[] = [
  { title: 'LdapConfig', def: 'LdapConfig' },
  { title: 'Workspace', def: 'Workspace' },
  { title: 'Pool', def: 'Pool' },
  { title: 'Pool → `servers[]` (fixed servers)', def: 'FixedServer' },
  { title: 'Pool → `agents[]` (fixed docker agents)', def: 'FixedAgent' },
  { title: 'Pool → `autoscale[]` (autoscale configs)', def: 'AutoscaleConfig' },
  { title: 'Pool → `autoscale[]` → `schedules[]`', def: 'Schedule' },
  { title: 'Pool → `staging[]` (docker agent pools)', def: 'StagingConfig' },
];

/** `VmProvider, type \`aws\``, ... for every variant of a discriminated provider kind, `local` first, then by type. */
function providerSections(kind: string, defs: Record<string, Schema>): Section[] {
  const variants = ((defs[kind]?.['oneOf'] ?? []) as Schema[])
    .map((v) => String(v['$ref'] ?? '').replace('#/$defs/', ''))
    .filter((def) => defs[def] !== undefined)
    .map((def) => {
      const type = ((defs[def]?.['properties'] ?? {}) as Record<string, Schema>)['type']?.['const'];
      return { def, type: typeof type === 'string' ? type : def };
    })
    .sort((a, b) => (a.type === 'local' ? -1 : b.type === 'local' ? 1 : a.type.localeCompare(b.type)));
  return variants.map((v) => ({ title: `${kind}, type \`${v.type}\``, def: v.def }));
}

/** The listed sections, then every other object definition with fields (so a new `$defs` entry is never missing). */
function sections(defs: Record<string, Schema>): Section[] {
  const listed = [...BEFORE_PROVIDERS, ...providerSections('VmProvider', defs), ...providerSections('DnsProvider', defs), ...AFTER_PROVIDERS];
  const seen = new Set(listed.map((s) => s.def));
  const rest = Object.keys(defs)
    .filter((def) => !seen.has(def) && defs[def]?.['properties'] !== undefined)
    .map((def) => ({ title: def, def }));
  return [...listed, ...rest];
}

function typeOf(s: Schema, defs: Record<string, Schema>): string {
  const ref = s['$ref'];
  if (typeof ref === 'string') {
    const name = ref.replace('#/$defs/', '');
    const target = defs[name] ?? {};
    if (name === 'SecretRef') return 'secret ref';
    if (name === 'Duration') return 'duration';
    if (name === 'Name') return 'name';
    if (Array.isArray(target['enum'])) return (target['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(' | ');
    return name;
  }
  if ('const' in s) return `\`${String(s['const'])}\``;
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(' | ');
  if (s['type'] === 'array') {
    const items = (s['items'] ?? {}) as Schema;
    return `list of ${typeOf(items, defs)}`;
  }
  if (s['type'] === 'object' && s['additionalProperties'] && typeof s['additionalProperties'] === 'object') return 'map of string';
  return String(s['type'] ?? 'any');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderFieldReference(schema: Schema): string {
  const defs = schema['$defs'] as Record<string, Schema>;
  let out = `${BEGIN}\n`;
  for (const section of sections(defs)) {
    const def = defs[section.def];
    if (!def) continue;
    const required = new Set((def['required'] as string[] | undefined) ?? []);
    out += `\n## ${section.title}\n\n${String(def['description'] ?? '')}\n\n| field | type | required | default | description |\n| --- | --- | --- | --- | --- |\n`;
    for (const [name, prop] of Object.entries((def['properties'] ?? {}) as Record<string, Schema>)) {
      const dflt = 'default' in prop ? `\`${JSON.stringify(prop['default'])}\`` : '';
      const desc = String(prop['description'] ?? (typeof prop['$ref'] === 'string' ? (defs[prop['$ref'].replace('#/$defs/', '')]?.['description'] ?? '') : ''));
      out += `| \`${name}\` | ${cell(typeOf(prop, defs))} | ${required.has(name) ? 'yes' : ''} | ${cell(dflt)} | ${cell(desc)} |\n`;
    }
  }
  out += `\n${END}`;
  return out;
}

/** The whole generated page docs/reference/configuration.md. */
export function renderReferencePage(schema: Schema): string {
  return `<!-- Generated from schemas/poolform.schema.json by \`npm run gen\` (scripts/gen-config-docs.ts); edit the schema, not this file. -->

# Configuration field reference

Every kind of the configuration language and its fields, generated from
\`schemas/poolform.schema.json\`. How the pieces fit together is explained in
[Configuration](../configuration.md); this page is the lookup table.
Types: *name* is an identifier (lowercase letters, digits, \`-\` and \`_\`,
1-64 characters), *duration* is a whole number with \`ms\`, \`s\`, \`m\`, \`h\`
or \`d\` (e.g. \`30s\`, \`15m\`, \`4h\`), *secret ref* is \`\${env:NAME}\` or
\`\${file:PATH}\` (see [Secrets](../configuration.md#secrets)).

${renderFieldReference(schema)}
`;
}
