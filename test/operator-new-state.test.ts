// Issue 12 defect 4: `cd elsewhere && poolform plan ../admin/pools` silently
// planned against a new, empty state (duplicates of everything). Now plan and
// apply say so with the path and point at the state next to the config; apply
// on such a brand-new state refuses without a terminal (even with
// --auto-approve) and asks on one.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Workspace } from './fixtures/plan/harness.ts';
import { LOCAL_DNS_DIR } from '../src/providers/local/dns.ts';
import { killLocalVms, localVmIds, makeWorkspace, runCli } from './fixtures/plan/harness.ts';

let ws: Workspace;
let own: string;
let elsewhere: string;
beforeEach(() => {
  ws = makeWorkspace('basic');
  own = join(ws.config, 'state');
  elsewhere = join(ws.root, 'elsewhere');
  mkdirSync(elsewhere);
});
afterEach(async () => {
  await killLocalVms(own);
  await killLocalVms(join(elsewhere, 'state'));
  await ws.cleanup();
});

describe('a brand-new state next to an existing one', () => {
  it('plan says so in one line with the path and suggests the config directory state', async () => {
    expect((await runCli(['apply', ws.config, '--state', own, '--auto-approve'])).code).toBe(0);
    const r = await runCli(['plan', ws.config], { cwd: elsewhere });
    expect(r.code).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => l.includes('note:'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`poolform plan: note: no state at ${join(elsewhere, 'state', 'poolform.db')} yet`);
    expect(notes[0]).toContain(`did you mean --state ${own}?`);
  });

  it('apply --auto-approve without a terminal refuses (nothing created, no state file left behind)', async () => {
    expect((await runCli(['apply', ws.config, '--state', own, '--auto-approve'])).code).toBe(0);
    const before = localVmIds(own).length;
    const r = await runCli(['apply', ws.config, '--auto-approve'], { cwd: elsewhere });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/poolform apply: error \[state-new-unconfirmed\]: .*create every server of the configuration a second time/);
    expect(existsSync(join(elsewhere, 'state', 'poolform.db'))).toBe(false);
    expect(localVmIds(join(elsewhere, 'state'))).toEqual([]);
    expect(localVmIds(own)).toHaveLength(before);
    // Even after a plan made the empty state file, apply still refuses (the state is empty: serial 0).
    await runCli(['plan', ws.config], { cwd: elsewhere });
    const again = await runCli(['apply', ws.config, '--auto-approve'], { cwd: elsewhere });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('state-new-unconfirmed');
  });

  it('on a terminal apply asks, and anything but yes cancels', async () => {
    expect((await runCli(['apply', ws.config, '--state', own, '--auto-approve'])).code).toBe(0);
    const r = await runCli(['apply', ws.config, '--auto-approve'], { cwd: elsewhere, tty: true, input: 'no' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Use the new state?');
    expect(r.stdout).toContain(`Did you mean --state ${own}?`);
    expect(localVmIds(join(elsewhere, 'state'))).toEqual([]);
  });

  it('a new state at the default path while the providers already hold poolform records asks too', async () => {
    // The first state lives somewhere the second run cannot guess (not next to the config).
    const first = join(ws.root, 'first-state');
    expect((await runCli(['apply', ws.config, '--state', first, '--auto-approve'])).code).toBe(0);
    // From another directory, with the default ./state, whose DNS provider sees the records the first made (a shared zone).
    const other = join(elsewhere, 'state');
    mkdirSync(other, { recursive: true });
    cpSync(join(first, LOCAL_DNS_DIR), join(other, LOCAL_DNS_DIR), { recursive: true });
    const r = await runCli(['apply', ws.config, '--auto-approve'], { cwd: elsewhere });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[state-new-unconfirmed\]: .*already hold 2 record\(s\) poolform made/);
    expect(localVmIds(other)).toEqual([]);
    await killLocalVms(first);
  });

  it('an explicit --state is a deliberate choice: no note, no extra question', async () => {
    const r = await runCli(['plan', ws.config, '--state', join(elsewhere, 'fresh')], { cwd: elsewhere });
    expect(r.stderr).not.toContain('note:');
  });
});
