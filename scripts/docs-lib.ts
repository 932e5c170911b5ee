// Reading the markdown docs for the docs tests: headings as GitHub anchors,
// relative links, and the shell blocks of a section. Pure functions over text.

/** Lines outside fenced code blocks, with their 1-based line numbers. */
export function proseLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(text);
    if (m) {
      if (fence === null) fence = m[1] ?? null;
      else if (text.trim().startsWith(fence)) fence = null;
      return;
    }
    if (fence === null) out.push({ line: i + 1, text });
  });
  return out;
}

/** GitHub's anchor for a heading: lower case, markdown and punctuation dropped, spaces as `-`. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a page defines: its headings (duplicates get -1, -2, ... like GitHub) and explicit `id`/`name` attributes. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (h) {
      const base = slug(h[1] ?? '');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1] ?? '');
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** Relative links of a page (`[text](target)`, outside code): not http(s), mailto or other schemes. */
export function relativeLinks(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ line, target });
    }
  }
  return links;
}

/**
 * The shell code blocks (```sh) of the section whose heading starts with
 * `headingPrefix`, up to the next heading of the same or a higher level.
 */
export function shellBlocksOfSection(markdown: string, headingPrefix: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#{1,6}\s/.test(l) && l.replace(/^#+\s+/, '').startsWith(headingPrefix));
  if (start === -1) return [];
  const level = /^#+/.exec(lines[start] ?? '')?.[0].length ?? 2;
  const blocks: string[] = [];
  let current: string[] | null = null;
  for (const l of lines.slice(start + 1)) {
    if (current === null) {
      const h = /^(#{1,6})\s/.exec(l);
      if (h && (h[1]?.length ?? 7) <= level) break;
      if (/^```(sh|bash|shell)\s*$/.test(l)) current = [];
    } else if (/^```\s*$/.test(l)) {
      blocks.push(current.join('\n'));
      current = null;
    } else {
      current.push(l);
    }
  }
  return blocks;
}
