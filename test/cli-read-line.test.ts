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
