// The documentation as a whole: a short README front page, every relative link
// and anchor between pages resolves, every page is reachable from docs/index.md.
// (The generated field reference's freshness is checked in src/config/schema.test.ts.)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { anchors, relativeLinks } from '../scripts/docs-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = resolve(dir, e.name);
    if (e.isDirectory()) return markdownFiles(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

const pages = [resolve(root, 'README.md'), ...markdownFiles(resolve(root, 'docs'))];

describe('documentation', () => {
  it('README.md is a front page: short, with the two commands and a tutorial', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const lines = readme.split('\n').length;
    expect(lines, 'README.md has grown past a front page: move the detail into a docs/ page and link it').toBeLessThanOrEqual(300);
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    expect(readme).toMatch(/^## Tutorial/m);
  });

  it('README.md shows the operator commands with examples and the load budgets with their defaults (issues 11, 12)', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    for (const example of [
      'poolform servers drain ',
      'poolform servers undrain ',
      'poolform sessions list ',
      'poolform sessions end ',
      'poolform destroy ',
      'poolform plan --destroy',
      '-auto-approve',
      '-detailed-exitcode',
      '-no-color',
      '-out=',
      'NO_COLOR=1',
      '--tls-cert',
    ]) {
      expect(readme, example).toContain(example);
    }
    for (const budget of [
      'max_file_bytes` 16 MiB',
      'max_total_bytes` 16 MiB',
      'max_yaml_nodes` 300,000',
      'max_depth` 64',
      'max_keys_per_mapping` 10,000',
      'max_schedules` 1,000',
      'max_template_bytes` 1 MiB',
    ]) {
      expect(readme, budget).toContain(budget);
    }
  });

  it('every relative link and #anchor between pages resolves', () => {
    const broken: string[] = [];
    const anchorCache = new Map<string, Set<string>>();
    const anchorsOf = (file: string): Set<string> => {
      let a = anchorCache.get(file);
      if (!a) anchorCache.set(file, (a = anchors(readFileSync(file, 'utf8'))));
      return a;
    };
    for (const page of pages) {
      for (const { line, target } of relativeLinks(readFileSync(page, 'utf8'))) {
        const [path = '', anchor] = target.split('#', 2);
        const file = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
        const where = `${relative(root, page)}:${line}: ${target}`;
        if (!existsSync(file)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor !== undefined && anchor !== '' && file.endsWith('.md') && statSync(file).isFile() && !anchorsOf(file).has(anchor)) {
          broken.push(`${where} (no heading with anchor #${anchor} in ${relative(root, file)})`);
        }
      }
    }
    expect(broken, broken.join('\n')).toEqual([]);
  });

  it('every page under docs/ is linked from docs/index.md', () => {
    const index = resolve(root, 'docs/index.md');
    const linked = new Set(relativeLinks(readFileSync(index, 'utf8')).map((l) => resolve(dirname(index), l.target.split('#')[0] ?? '')));
    const missing = pages.filter((p) => p.startsWith(resolve(root, 'docs')) && p !== index && !linked.has(p)).map((p) => relative(root, p));
    expect(missing, `add a row for each to docs/index.md: ${missing.join(', ')}`).toEqual([]);
  });
});
