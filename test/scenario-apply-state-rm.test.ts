// Scenario: an admin forgets a VM with `state rm` (to keep it for someone),
// then keeps running plan/apply. The VM and its DNS record stay untouched (the
// record is forgotten with its VM, and plan does not call the record of a VM
// that still runs an orphan); the autoscaler launches a replacement. Once the
// forgotten VM is terminated by hand, its record is cleaned up as an orphan.
// Also: force-unlock while another apply holds the lock.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import type { Workspace } from './fixtures/plan/harness.ts';
import { localDnsRecords, localVmIds, makeWorkspace, removeDir, runCli } from './fixtures/plan/harness.ts';

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace('basic');
});
afterEach(async () => {
  await ws.cleanup();
});

const plan = (...extra: string[]) => runCli(['plan', ws.config, '--state', ws.state, ...extra]);
const apply = (...extra: string[]) => runCli(['apply', ws.config, '--state', ws.state, '--auto-approve', ...extra]);

describe('state rm of a VM', () => {
  it('forgets the VM with its DNS record, never destroys either, and cleans the record up once the VM is gone', async () => {
    expect((await apply()).code).toBe(0);
    const [kept, other] = localVmIds(ws.state);
    if (!kept || !other) throw new Error('expected two VMs');
    const keptFqdn = [...localDnsRecords(ws.state)].find(([, id]) => id === kept)?.[0];
    expect(keptFqdn).toBeDefined();

    const rm = await runCli(['state', 'rm', `vm.desktops.day.${kept}`, '--state', ws.state]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`Removed vm.desktops.day.${kept}`);
    expect(rm.stdout).toContain(`Removed dns.${keptFqdn}`);
    expect((await runCli(['state', 'list', '--state', ws.state])).stdout).not.toContain(kept);

    // The plan replaces the capacity and leaves the forgotten VM and its record alone.
    const p = await plan();
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(p.stdout).not.toContain(kept);
    expect((await apply()).code).toBe(0);
    expect(localVmIds(ws.state)).toContain(kept);
    expect(localVmIds(ws.state)).toHaveLength(3);
    expect(localDnsRecords(ws.state).get(keptFqdn ?? '')).toBe(kept);
    expect((await plan('--detailed-exitcode')).stdout).toContain('No changes.');

    // The admin terminates the forgotten VM by hand: its record is now an orphan.
    removeDir(join(ws.state, 'local-vms', kept));
    const after = await plan();
    expect(after.stdout).toContain(`# dns.${keptFqdn} will be destroyed`);
    expect(after.stdout).toContain('Plan: 0 to add, 0 to change, 1 to destroy.');
    expect((await apply()).code).toBe(0);
    expect(localDnsRecords(ws.state).has(keptFqdn ?? '')).toBe(false);
    expect(localDnsRecords(ws.state).size).toBe(2);
  });
});

describe('force-unlock while another apply holds the lock', () => {
  it('frees the state for the next apply, and the old holder releasing its id does not free the new lock', async () => {
    expect((await apply()).code).toBe(0);
    const store = await createSqliteStore({ path: ws.state });
    try {
      const running = { id: randomUUID(), operation: 'apply', pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await store.acquireLock(running, { waitMs: 0 });
      const blocked = await apply();
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain(`lock id ${running.id}`);
      const unlocked = await runCli(['force-unlock', running.id, '--state', ws.state]);
      expect(unlocked.code, unlocked.stderr).toBe(0);
      expect(unlocked.stdout).toContain(`Lock ${running.id} removed`);
      // A new holder takes the lock; the old one finishes and releases its own id only.
      const next = { id: randomUUID(), operation: 'apply', pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await store.acquireLock(next, { waitMs: 0 });
      await store.releaseLock(running.id);
      expect((await store.getLock())?.id).toBe(next.id);
      await store.releaseLock(next.id);
      expect((await apply()).stdout).toContain('No changes.');
    } finally {
      await store.close();
    }
  });
});
