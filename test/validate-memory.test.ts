// Issue 11, item 1: `validate` on the inputs that used to exhaust memory
// (a 15 MB flow sequence of small integers: 3 GB and a heap crash; a file of
// a million lines of syntax errors: 3 GB) ends in a diagnostic with
// file:line and exit 1, with a peak memory (max RSS measured by
// /usr/bin/time -v) under 1 GiB. Asserts exit code, message and memory, not
// time. The full-size measurement of inputs at the budget ceilings is in
// bench/validate-scaling.bench.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time';
const GiB = 1024 * 1024 * 1024;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function dirWith(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'poolform-mem-'));
  dirs.push(dir);
  await writeFile(join(dir, 'a.yaml'), content);
  return dir;
}

/** Runs `poolform validate DIR` under /usr/bin/time -v: exit code, stdout, and max RSS in bytes. */
function validateMeasured(dir: string): { status: number | null; stdout: string; stderr: string; maxRss: number } {
  const r = spawnSync(TIME, ['-v', process.execPath, join(root, 'bin/poolform.js'), 'validate', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, maxRss: Number(kb ?? 'NaN') * 1024 };
}

describe.skipIf(!existsSync(TIME))('validate peak memory (issue 11)', () => {
  it('a 15 MB flow sequence: config-too-large at file:line, exit 1, under 1 GiB', async () => {
    const dir = await dirWith(`x: [${'1,'.repeat(7_500_000)}1]\n`);
    const r = validateMeasured(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/a\.yaml:1:\d+: error config-too-large: .*max_yaml_nodes/);
    expect(r.stderr).not.toMatch(/heap out of memory|FATAL|\n\s+at /);
    console.log(`validate, 15 MB flow sequence: max RSS ${(r.maxRss / 1024 / 1024).toFixed(0)} MB`);
    expect(r.maxRss).toBeLessThan(GiB);
  }, 120_000);

  it('a million lines of syntax errors: one diagnostic, exit 1, under 1 GiB', async () => {
    const dir = await dirWith(']\n'.repeat(1_000_000));
    const r = validateMeasured(dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/a\.yaml:\d+:\d+: error config-too-large/);
    expect(r.stdout.trim().split('\n').length).toBeLessThan(5);
    console.log(`validate, 1M lines of syntax errors: max RSS ${(r.maxRss / 1024 / 1024).toFixed(0)} MB`);
    expect(r.maxRss).toBeLessThan(GiB);
  }, 120_000);
});
