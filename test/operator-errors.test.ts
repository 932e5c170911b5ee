// Issue 12 defect 9 and the one-prefix rule: every CLI error reads
// `poolform <command>: error [<code>]: <message>`, so searching output for a
// documented code finds it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorLine, thrownErrorLine } from '../src/cli/error-line.ts';
import { PoolformError } from '../src/util/errors.ts';
import { runCli } from './fixtures/plan/harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'poolform-errors-'));
  dirs.push(d);
  return d;
}

describe('error lines', () => {
  it('carry the command and the code', () => {
    expect(thrownErrorLine('apply', new PoolformError('aws-insufficient-capacity', 'no capacity in eu-west-1a'))).toBe(
      'poolform apply: error [aws-insufficient-capacity]: no capacity in eu-west-1a\n',
    );
    expect(thrownErrorLine(undefined, new Error('boom'))).toBe('poolform: error [unexpected]: boom\n');
    expect(errorLine('state rm', 'resource-not-in-state', 'x')).toBe('poolform state rm: error [resource-not-in-state]: x\n');
  });

  it('every failing command prints `poolform <command>: error [code]: ...`', async () => {
    const dir = tmp();
    const cases: Array<[string[], RegExp]> = [
      [['apply', join(dir, 'nope.plan')], /^poolform apply: error \[apply-target-not-found\]: no such plan file/m],
      [['plan', dir, '--at', 'yesterday'], /^poolform plan: error \[usage\]: --at takes/m],
      [['state', 'show', 'vm.a.b.c', '--state', join(dir, 'missing')], /^poolform state show: error \[state-missing\]: no state at/m],
      [['force-unlock', 'abc', '--state', join(dir, 'missing')], /^poolform force-unlock: error \[state-missing\]/m],
      [['validate', join(dir, 'nope')], /^poolform validate: error \[config-dir-missing\]: .*no such directory/m],
      [['validate', dir, '--format', 'xml'], /^poolform validate: error \[usage\]: unknown format "xml"/m],
      [['schedule', dir, '--at', 'yesterday'], /^poolform schedule: error \[usage\]: invalid --at/m],
      [['completion', 'fish'], /^poolform completion: error \[usage\]: unknown shell "fish"/m],
    ];
    for (const [args, pattern] of cases) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/^Error:/m);
    }
  });
});
