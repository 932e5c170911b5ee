import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderGeneratedTypes } from '../scripts/gen-types-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('generated types', () => {
  it('src/generated/config.ts matches schemas/ (run `npm run gen` when this fails)', async () => {
    const current = await readFile(`${root}src/generated/config.ts`, 'utf8');
    expect(current).toBe(await renderGeneratedTypes(root));
  });
});
