// Assembles README.md from docs/readme/*.md (`npm run gen`).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderReadme } from './build-readme-lib.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
await writeFile(`${root}README.md`, await renderReadme(root));
console.log('wrote README.md');
