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

/** The end of the identifier (`[A-Za-z_][A-Za-z0-9_]*`) starting at `from`, or `from` when there is none. */
function identifierEnd(s: string, from: number): number {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    const digit = c >= 0x30 && c <= 0x39;
    if (!letter && !(digit && i > from)) break;
  }
  return i;
}

/**
 * Splits a template into text and `{variable}` tokens (offsets into the
 * template), in one pass: a `{` is a variable only when an identifier and
 * `}` follow it directly, so no search runs past the identifier (2 MB of
 * stray `{` used to search to the end for each one), and text runs are
 * sliced, not built a character at a time.
 */
export function scanTemplate(template: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let text = '';
  let runStart = 0; // start of the current run of plain characters (not yet in `text`)
  let textStart = 0;
  const flushRun = (end: number): void => {
    if (end > runStart) {
      if (!text) textStart = runStart;
      text += template.slice(runStart, end);
    }
  };
  const flush = (end: number): void => {
    flushRun(end);
    if (text) tokens.push({ kind: 'text', text, offset: textStart });
    text = '';
  };
  for (let i = 0; i < template.length; i++) {
    const ch = template.charCodeAt(i);
    if (ch !== 0x7b && ch !== 0x7d) continue; // neither { nor }
    const next = template.charCodeAt(i + 1);
    if (ch === next) {
      // `{{` or `}}`: one literal brace, part of the text.
      flushRun(i);
      if (!text) textStart = i;
      text += template[i];
      i++;
      runStart = i + 1;
    } else if (ch === 0x7b) {
      const close = identifierEnd(template, i + 1);
      flush(i);
      if (close > i + 1 && template.charCodeAt(close) === 0x7d) {
        tokens.push({ kind: 'variable', name: template.slice(i + 1, close), offset: i, length: close - i + 1 });
        i = close;
      } else {
        tokens.push({ kind: 'stray-brace', offset: i });
      }
      runStart = i + 1;
    } else {
      flush(i);
      tokens.push({ kind: 'stray-brace', offset: i });
      runStart = i + 1;
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
