import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/build-readme-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('README.md', () => {
  it('is assembled from docs/readme/*.md (run `npm run gen` when this fails)', async () => {
    expect(await readFile(`${root}README.md`, 'utf8')).toBe(await renderReadme(root));
  });

  it('shows the two commands: the demo and the tests', async () => {
    const readme = await readFile(`${root}README.md`, 'utf8');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
