// Startup-script templates: `{name}` is a variable, `{{` and `}}` are literal
// braces. Only the known variables below may appear (validate reports others
// with their line). Rendering happens at apply time, per server.

export const TEMPLATE_VARIABLES = [
  'server_id',
  'server_hostname',
  'server_external_fqdn',
  'checkin_jwt',
  'upstream_auth_address',
  'provider_name',
  'manager_token',
  'connection_username',
  'connection_password',
  'ad_join_credential',
  'domain',
  // Docker agent pools: the autoscale config's nginx_cert / nginx_key (PEM), for the agent's proxy.
  'nginx_cert',
  'nginx_key',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string>>;

export function isTemplateVariable(name: string): name is TemplateVariable {
  return (TEMPLATE_VARIABLES as readonly string[]).includes(name);
}

export type TemplateToken =
  | { kind: 'text'; text: string; offset: number }
  | { kind: 'variable'; name: string; offset: number; length: number }
  | { kind: 'stray-brace'; offset: number };

/** Splits a template into text and `{variable}` tokens (offsets into the template). */
export function scanTemplate(template: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let text = '';
  let textStart = 0;
  const flush = (end: number): void => {
    if (text) tokens.push({ kind: 'text', text, offset: textStart });
    text = '';
    textStart = end;
  };
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '{' && template[i + 1] === '{') {
      text += '{';
      i++;
    } else if (ch === '}' && template[i + 1] === '}') {
      text += '}';
      i++;
    } else if (ch === '{') {
      const close = template.indexOf('}', i + 1);
      const name = close === -1 ? '' : template.slice(i + 1, close);
      if (close !== -1 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        flush(i);
        tokens.push({ kind: 'variable', name, offset: i, length: close - i + 1 });
        i = close;
        textStart = i + 1;
      } else {
        flush(i);
        tokens.push({ kind: 'stray-brace', offset: i });
        textStart = i + 1;
      }
    } else if (ch === '}') {
      flush(i);
      tokens.push({ kind: 'stray-brace', offset: i });
      textStart = i + 1;
    } else {
      if (!text) textStart = i;
      text += ch;
    }
  }
  flush(template.length);
  return tokens;
}

/** Renders a template. Unknown variables and stray braces are kept literally (validate rejects them first). */
export function renderTemplate(template: string, values: TemplateValues): string {
  let out = '';
  for (const token of scanTemplate(template)) {
    switch (token.kind) {
      case 'text':
        out += token.text;
        break;
      case 'variable':
        out += isTemplateVariable(token.name) ? (values[token.name] ?? '') : `{${token.name}}`;
        break;
      case 'stray-brace':
        out += template[token.offset] ?? '';
        break;
      default: {
        const never: never = token;
        throw new Error(`unknown token ${String(never)}`);
      }
    }
  }
  return out;
}
