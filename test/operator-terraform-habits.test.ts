// Issue 12, Terraform habits: single-dash long flags as aliases, colour on a
// terminal (+ green, - red, ~ yellow) with --no-color / -no-color and NO_COLOR.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { colorWanted, colorizePlan } from '../src/cli/color.ts';
import { main } from '../src/cli/main.ts';
import { SINGLE_DASH_ALIASES, normalizeSingleDash, takeNoColor } from '../src/cli/terraform-flags.ts';
import { captureCli } from './support/cli.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { BASE_ENV, localVmIds, makeWorkspace, runCli } from './fixtures/plan/harness.ts';

describe('single-dash long flags', () => {
  it('rewrites the Terraform spellings, leaves everything else', () => {
    expect(normalizeSingleDash(['plan', 'dir', '-out=x.plan', '-detailed-exitcode', '-target=vm.a', '-o', 'f', '-no-color'])).toEqual([
      'plan',
      'dir',
      '--out=x.plan',
      '--detailed-exitcode',
      '--target=vm.a',
      '-o',
      'f',
      '--no-color',
    ]);
    expect(normalizeSingleDash(['apply', '-auto-approve', '--', '-target'])).toEqual(['apply', '--auto-approve', '--', '-target']);
    expect(takeNoColor(['plan', '--no-color', 'dir'])).toEqual({ args: ['plan', 'dir'], noColor: true });
  });

  it('never touches arguments that are not single-dash aliases (property)', () => {
    const arg = fc.string({ maxLength: 12 }).filter((s) => {
      const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(s);
      return !(m && m[1] !== undefined && SINGLE_DASH_ALIASES.has(m[1]));
    });
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 8 }), (args) => {
        expect(normalizeSingleDash(args)).toEqual(args);
      }),
    );
  });
});

describe('colour', () => {
  it('is on for a terminal only, and off with NO_COLOR or --no-color', () => {
    expect(colorWanted(true, {}, false)).toBe(true);
    expect(colorWanted(false, {}, false)).toBe(false);
    expect(colorWanted(true, { NO_COLOR: '1' }, false)).toBe(false);
    expect(colorWanted(true, { NO_COLOR: '' }, false)).toBe(true);
    expect(colorWanted(true, {}, true)).toBe(false);
  });

  it('colours the change symbols and nothing else', () => {
    const text = '  + vm.a {\n      - x = 1\n  ~ server.b\n  -/+ vm.c\nPlan: 1 to add\nplain - text\n';
    const out = colorizePlan(text);
    expect(out).toContain('\u001b[32m+\u001b[0m vm.a {');
    expect(out).toContain('      \u001b[31m-\u001b[0m x = 1');
    expect(out).toContain('\u001b[33m~\u001b[0m server.b');
    expect(out).toContain('\u001b[33m-/+\u001b[0m vm.c');
    expect(out).toContain('plain - text');
    // eslint-disable-next-line no-control-regex
    expect(out.replace(/\u001b\[\d+m/g, '')).toBe(text);
  });
});

describe('through the CLI', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = makeWorkspace('basic');
  });
  afterEach(async () => {
    await ws.cleanup();
  });

  async function planOnTerminal(extra: string[], env: Record<string, string> = {}): Promise<string> {
    const ctx = { ...captureCli({ cwd: ws.root, env: { ...BASE_ENV, ...env } }), stdoutIsTTY: true };
    await main(['node', 'poolform', 'plan', ws.config, '--state', ws.state, ...extra], ctx);
    return ctx.out();
  }

  it('plan on a terminal is coloured; -no-color, --no-color and NO_COLOR turn it off', async () => {
    expect(await planOnTerminal([])).toContain('\u001b[32m+\u001b[0m');
    for (const off of [await planOnTerminal(['-no-color']), await planOnTerminal(['--no-color']), await planOnTerminal([], { NO_COLOR: '1' })]) {
      expect(off).not.toContain('\u001b[');
      expect(off).toContain('Plan: ');
    }
  });

  it('-out=FILE, -detailed-exitcode, -target=ADDR and -auto-approve work like their -- forms', async () => {
    const file = join(ws.root, 'tf.plan');
    const p = await runCli(['plan', ws.config, '-state', ws.state, '-out=' + file, '-detailed-exitcode', '-target=server.desktops.legacy1']);
    expect(p.code, p.stderr).toBe(2);
    expect(existsSync(file)).toBe(true);
    expect(p.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    const a = await runCli(['apply', ws.config, '--state', ws.state, '-auto-approve']);
    expect(a.code, a.stderr).toBe(0);
    expect(localVmIds(ws.state)).toHaveLength(2);
  });
});
