import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// The confirmation prompt of `poolform apply` reads one line from the real
// stdin through processContext(); injected contexts in other tests bypass it.
function readLineFrom(input: string): string {
  const script = "const m = await import('./src/cli/main.ts'); process.stdout.write(JSON.stringify(await m.processContext().readLine()));";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, input, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string;
}

describe('processContext().readLine', () => {
  it('answers the line typed, so "yes" confirms an apply', () => {
    expect(readLineFrom('yes\nmore\n')).toBe('yes');
  });

  it('answers an empty string when stdin ends without a line', () => {
    expect(readLineFrom('')).toBe('');
  });
});

describe('bin/poolform.js output into a closed pipe', () => {
  it('ends quietly when the reader goes away (e.g. `| head -1`), with no stack trace', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/pf-epipe-`);
    // Thousands of diagnostics: far more output than one pipe buffer.
    const docs = Array.from({ length: 3000 }, (_, i) => `kind: Zone\nname: Bad_${i}\n`).join('---\n');
    await writeFile(`${dir}/zones.yaml`, docs);
    const child = spawn(process.execPath, [`${root}bin/poolform.js`, 'validate', dir, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|at .*\.ts:\d+/);
    expect(code).toBe(1); // invalid config: validate's own exit code, not a crash
  });
});
