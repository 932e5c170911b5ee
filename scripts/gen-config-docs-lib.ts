// Renders the field reference of the config language from the schema's
// descriptions (the schema is the single source of truth). Used by
// scripts/gen-config-docs.ts, which writes it into docs/readme/10-config.md
// between the BEGIN/END markers, and by a test that fails when it is stale.

type Schema = { [key: string]: unknown };

export const BEGIN = '<!-- BEGIN GENERATED FIELD REFERENCE (node scripts/gen-config-docs.ts) -->';
export const END = '<!-- END GENERATED FIELD REFERENCE -->';

const SECTIONS: { title: string; def: string; note?: string }[] = [
  { title: 'Settings', def: 'Settings' },
  { title: 'Zone', def: 'Zone' },
  { title: 'VmProvider, type `local`', def: 'LocalVmProvider' },
  { title: 'VmProvider, type `aws`', def: 'AwsVmProvider' },
  { title: 'DnsProvider, type `local`', def: 'LocalDnsProvider' },
  { title: 'DnsProvider, type `route53`', def: 'Route53DnsProvider' },
  { title: 'LdapConfig', def: 'LdapConfig' },
  { title: 'Workspace', def: 'Workspace' },
  { title: 'Pool', def: 'Pool' },
  { title: 'Pool → `servers[]` (fixed servers)', def: 'FixedServer' },
  { title: 'Pool → `autoscale[]` (autoscale configs)', def: 'AutoscaleConfig' },
  { title: 'Pool → `autoscale[]` → `schedules[]`', def: 'Schedule' },
  { title: 'Pool → `staging[]` (docker agent pools)', def: 'StagingConfig' },
];

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
  for (const section of SECTIONS) {
    const def = defs[section.def];
    if (!def) continue;
    const required = new Set((def['required'] as string[] | undefined) ?? []);
    out += `\n#### ${section.title}\n\n${String(def['description'] ?? '')}\n\n| field | type | required | default | description |\n| --- | --- | --- | --- | --- |\n`;
    for (const [name, prop] of Object.entries((def['properties'] ?? {}) as Record<string, Schema>)) {
      const dflt = 'default' in prop ? `\`${JSON.stringify(prop['default'])}\`` : '';
      const desc = String(prop['description'] ?? (typeof prop['$ref'] === 'string' ? (defs[prop['$ref'].replace('#/$defs/', '')]?.['description'] ?? '') : ''));
      out += `| \`${name}\` | ${cell(typeOf(prop, defs))} | ${required.has(name) ? 'yes' : ''} | ${cell(dflt)} | ${cell(desc)} |\n`;
    }
  }
  out += `\n${END}`;
  return out;
}

/** Replaces the generated block of `doc` (between the markers) with a fresh rendering. */
export function spliceFieldReference(doc: string, schema: Schema): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start === -1 || end === -1) throw new Error('markers not found');
  return doc.slice(0, start) + renderFieldReference(schema) + doc.slice(end + END.length);
}
