// Issue 12, tear-down: `poolform plan --destroy` and `poolform destroy` (all,
// or --target), with apply's safety: busy servers are drained first unless
// --force.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { session } from './fixtures/plan/builders.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { localDnsRecords, localVmIds, makeWorkspace, runCli } from './fixtures/plan/harness.ts';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace('basic');
});
afterEach(async () => {
  await ws.cleanup();
});

const destroy = (...extra: string[]) => runCli(['destroy', ws.config, '--state', ws.state, ...extra]);

async function resources(): Promise<string[]> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    return (await store.listResources()).map((r) => r.address).sort();
  } finally {
    await store.close();
  }
}

describe('destroy', () => {
  it('plan --destroy shows every resource going; destroy asks, drains a busy server, --force finishes', async () => {
    expect((await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'])).code).toBe(0);
    const vms = localVmIds(ws.state);
    expect(vms).toHaveLength(2);
    const total = (await resources()).length;

    const planned = await runCli(['plan', ws.config, '--state', ws.state, '--destroy', '--detailed-exitcode']);
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain(`Plan: 0 to add, 0 to change, ${total} to destroy.`);
    expect(planned.stdout.startsWith('Destroy plan: ')).toBe(true);
    // Planning changed nothing.
    expect(localVmIds(ws.state)).toHaveLength(2);

    const refused = await destroy();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/poolform destroy: error \[confirmation-required\]/);
    const cancelled = await destroy('--lock-timeout', '5s').then(() => runCli(['destroy', ws.config, '--state', ws.state], { tty: true, input: 'no' }));
    expect(cancelled.stdout).toContain('Destroy cancelled.');
    expect(localVmIds(ws.state)).toHaveLength(2);

    // A session on the first VM: destroy drains it and destroys the rest.
    const store = await createSqliteStore({ path: ws.state });
    const busy = (await store.listServers()).find((s) => s.id === vms[0]);
    await store.putSession(session('s-busy', busy?.id ?? null, { pool: 'desktops' }));
    await store.close();
    const first = await destroy('--auto-approve');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/1 busy server is draining: run `poolform destroy` again/);
    expect(localVmIds(ws.state)).toEqual([vms[0]]);

    const forced = await destroy('--auto-approve', '--force');
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Ended 1 session on busy servers (--force).');
    expect(localVmIds(ws.state)).toEqual([]);
    expect(localDnsRecords(ws.state).size).toBe(0);
    expect(await resources()).toEqual([]);
    const after = await destroy('--auto-approve');
    expect(after.stdout).toContain('Nothing to destroy.');
    expect(after.stdout).toContain('No changes. Nothing poolform manages is left to destroy.');
    expect(after.stdout).not.toContain('match the configuration');
  });

  it('--target limits the tear-down to an address prefix', async () => {
    expect((await runCli(['apply', ws.config, '--state', ws.state, '--auto-approve'])).code).toBe(0);
    const r = await destroy('--auto-approve', '--target', 'server.desktops.legacy1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const left = await resources();
    expect(left).not.toContain('server.desktops.legacy1');
    expect(left.filter((a) => a.startsWith('vm.'))).toHaveLength(2);
  });
});
