// Runs the README's tutorial as written: every ```sh block of the "Tutorial"
// section, in order, in one `sh -e` in an empty directory, with `poolform` on
// PATH (this clone's bin/poolform.js) and the tutorial's port 8080 swapped for
// a free one. Integration: it spawns the CLI, `serve` and local VM scripts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { shellBlocksOfSection } from '../scripts/docs-lib.ts';
import { freePort } from './support/net.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const hasCurl = spawnSync('curl', ['--version']).status === 0;
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('README tutorial', () => {
  it('has shell blocks to run', async () => {
    const blocks = shellBlocksOfSection(await readFile(`${root}README.md`, 'utf8'), 'Tutorial');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.join('\n')).toContain('poolform apply');
  });

  it.skipIf(!hasCurl)('runs as written, from an empty directory to a placed session (needs curl)', async () => {
    const blocks = shellBlocksOfSection(await readFile(`${root}README.md`, 'utf8'), 'Tutorial');
    const port = await freePort();
    const script = blocks.join('\n').replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    const dir = await mkdtemp(join(tmpdir(), 'poolform-tutorial-'));
    dirs.push(dir);
    await mkdir(join(dir, 'bin'));
    const shim = join(dir, 'bin', 'poolform');
    await writeFile(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(`${root}bin/poolform.js`)} "$@"\n`);
    await chmod(shim, 0o755);
    await writeFile(join(dir, 'tutorial.sh'), script);

    const child = spawn('/bin/sh', ['-e', 'tutorial.sh'], {
      cwd: dir,
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    let code: number | null;
    try {
      code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    } finally {
      // The tutorial stops `serve` itself; if it failed half-way, stop its process group
      // (`serve` runs in it; the local VMs' scripts end on their own after their check-in).
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    const serveLog = await readFile(join(dir, 'my-pools', 'serve.log'), 'utf8').catch(() => '(no serve.log)');
    expect(code, `${out}\n--- serve.log ---\n${serveLog}`).toBe(0);
    expect(out).toContain('valid');
    expect(out).toContain('Apply complete! Resources: 2 added');
    expect(out).toMatch(/"status":"running","pool":"desktops"/);
  });
});
