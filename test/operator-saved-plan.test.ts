// Issue 12 defect 2: a what-if plan (`plan --at`) must never be applied.
// `plan --at ... -out FILE` is refused; a plan file decided for another
// instant (older versions, edits) is refused by `apply FILE`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace } from './fixtures/plan/harness.ts';
import { localVmIds, makeWorkspace, runCli } from './fixtures/plan/harness.ts';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace('basic');
});
afterEach(async () => {
  await ws.cleanup();
});

describe('what-if plans', () => {
  it('plan --at with -out is a usage error and writes no file', async () => {
    const file = join(ws.root, 'sat.plan');
    for (const args of [['-out', file], [`-out=${file}`], ['--out', file]]) {
      const r = await runCli(['plan', ws.config, '--state', ws.state, '--at', '2026-12-05T10:00:00Z', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/-out cannot be used with --at/);
    }
    expect(() => readFileSync(file)).toThrow();
  });

  it('apply refuses a saved plan decided for another instant', async () => {
    const file = join(ws.root, 'now.plan');
    expect((await runCli(['plan', ws.config, '--state', ws.state, '-out', file])).code).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { plan: { at: string } };
    saved.plan.at = '2026-12-05T10:00:00.000Z';
    writeFileSync(file, JSON.stringify(saved));
    const r = await runCli(['apply', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('saved-plan-what-if');
    expect(r.stderr).toMatch(/never applied/);
    expect(localVmIds(ws.state)).toEqual([]);
  });
});
