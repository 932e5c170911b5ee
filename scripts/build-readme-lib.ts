import { readdir, readFile } from 'node:fs/promises';

/** README.md = every docs/readme/*.md in name order, joined. Pure apart from reading the parts. */
export async function renderReadme(root: string): Promise<string> {
  const dir = `${root}docs/readme/`;
  const parts = (await readdir(dir)).filter((f) => f.endsWith('.md')).sort();
  const texts = await Promise.all(parts.map(async (f) => (await readFile(`${dir}${f}`, 'utf8')).trim()));
  const [first = '', ...rest] = texts;
  const banner = '<!-- Assembled from docs/readme/*.md by `npm run gen`; edit those files, not this one. -->';
  return `${[first.replace(/^(# .*\n)/, `$1\n${banner}\n`), ...rest].join('\n\n')}\n`;
}
