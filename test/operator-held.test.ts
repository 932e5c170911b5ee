// Issue 12 defect 5: after a pool with a busy fixed server is removed, every
// plan showed the destroy and apply skipped it, so `plan --detailed-exitcode`
// stayed 2 forever. Now: the first apply drains it; from then on the plan
// shows it as held and exits 0 until its sessions end, then plans the destroy.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { session } from './fixtures/plan/builders.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { makeWorkspace, runCli } from './fixtures/plan/harness.ts';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace('basic');
});
afterEach(async () => {
  await ws.cleanup();
});

const plan = (...extra: string[]) => runCli(['plan', ws.config, '--state', ws.state, ...extra]);
const apply = (...extra: string[]) => runCli(['apply', ws.config, '--state', ws.state, '--auto-approve', ...extra]);

describe('a removed fixed server with sessions', () => {
  it('is drained once, then held (exit 0 with --detailed-exitcode) until its sessions end', async () => {
    expect((await apply()).code).toBe(0);
    const store = await createSqliteStore({ path: ws.state });
    const fixed = (await store.listServers()).find((s) => s.address === 'server.desktops.legacy1');
    expect(fixed).toBeDefined();
    await store.putSession(session('sess-1', fixed?.id ?? null, { pool: 'desktops' }));
    await store.close();

    // The pool keeps its autoscale config, loses the fixed server.
    const pool = (await import('node:fs')).readFileSync(join(ws.config, 'pool.yaml'), 'utf8');
    writeFileSync(join(ws.config, 'pool.yaml'), pool.replace(/servers:\n(?:  .*\n|    .*\n)+?(?=autoscale:)/, ''));

    const first = await plan('--detailed-exitcode');
    expect(first.code, first.stdout + first.stderr).toBe(2);
    expect(first.stdout).toContain('server.desktops.legacy1');
    const applied = await apply();
    expect(applied.stdout).toMatch(/server\.desktops\.legacy1: skipped: .*draining/);

    for (let i = 0; i < 2; i++) {
      const held = await plan('--detailed-exitcode');
      expect(held.code, held.stdout + held.stderr).toBe(0);
      expect(held.stdout).toMatch(/held: ~ server\.desktops\.legacy1 draining \(no new sessions\); destroyed once its 1 session ends/);
      expect(held.stdout).not.toMatch(/- server\.desktops\.legacy1/);
    }

    const s2 = await createSqliteStore({ path: ws.state });
    await s2.endSession('sess-1', 'deleted', new Date().toISOString());
    await s2.close();
    const after = await plan('--detailed-exitcode');
    expect(after.code).toBe(2);
    expect(after.stdout).toMatch(/server\.desktops\.legacy1 will be destroyed/);
  });
});
