// Scenario: two admins (two processes) run plan/apply on one PostgreSQL state.
// Two applies at once: exactly one proceeds, the other fails at once naming the
// holder. While another host's apply holds the lock, plan names it (never
// "stale"), and apply --lock-timeout waits for it, or fails when it runs out.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './fixtures/plan/harness.ts';
import { localVmIds, makeWorkspace, runChild, runCli } from './fixtures/plan/harness.ts';
import { createPostgresStore } from '../src/state/postgres-store.ts';
import type { PostgresServer } from './support/postgres.ts';
import { requirePostgres, startPostgres } from './support/postgres.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const run = requirePostgres();
let pg: PostgresServer | undefined;

beforeAll(async () => {
  if (run) pg = await startPostgres({ database: 'poolform_scenario' });
}, testTimeout(60_000));
afterAll(async () => {
  await pg?.stop();
});

function workspace(min: number): Workspace {
  const ws = makeWorkspace('basic');
  writeFileSync(
    join(ws.config, 'settings.yaml'),
    `kind: Settings
state:
  backend: postgres
  url: \${env:POOLFORM_DATABASE_URL}
`,
  );
  const pool = join(ws.config, 'pool.yaml');
  const providers = join(ws.config, 'providers.yaml');
  writeFileSync(providers, `${readText(providers).replace('max_instances: 5', 'max_instances: 30')}`);
  writeFileSync(pool, readText(pool).replace('minimum_available_sessions: 2', `minimum_available_sessions: ${min}`));
  return ws;
}

const readText = (p: string): string => readFileSync(p, 'utf8');

describe.skipIf(!run)('two processes on one PostgreSQL state', () => {
  it('concurrent applies, a held lock, --lock-timeout', { timeout: testTimeout(120_000) }, async () => {
    const url = await pg!.createDatabase();
    const env = { POOLFORM_DATABASE_URL: url };
    const ws = workspace(15);
    try {
      const args = ['apply', ws.config, '--state', ws.state, '--auto-approve'];
      const [a, b] = await Promise.all([runChild(args, env), runChild(args, env)]);
      const added = [a, b].filter((r) => r.stdout.includes('Apply complete! Resources: 31 added'));
      expect(added, `${a.stdout}${a.stderr}\n---\n${b.stdout}${b.stderr}`).toHaveLength(1);
      // The other failed at once naming the holder, or (started late) found nothing to do.
      const other = added[0] === a ? b : a;
      if (other.code !== 0) expect(other.stderr).toMatch(/state is locked by apply \(pid \d+ on [^,]+, since [^,]+, lock id [0-9a-f-]+\)/);
      else expect(other.stdout).toContain('No changes.');
      expect(`${a.stdout}${a.stderr}${b.stdout}${b.stderr}`).not.toContain(url);
      expect(localVmIds(ws.state)).toHaveLength(15);

      // Another admin's apply holds the lock (a live session on the database).
      const holder = await createPostgresStore({ url });
      try {
        const lock = { id: randomUUID(), operation: 'apply', pid: 999_999, host: 'build-02', since: new Date().toISOString() };
        await holder.acquireLock(lock, { waitMs: 0 });
        const planned = await runChild(['plan', ws.config, '--state', ws.state], env);
        expect(planned.code).toBe(1);
        expect(planned.stderr).toContain(`state is locked by apply (pid 999999 on build-02, since ${lock.since}, lock id ${lock.id})`);
        // A lock held on another host is never "stale", whatever its pid.
        expect(planned.stderr).not.toContain('stale');
        // --lock-timeout waits for the holder, then proceeds.
        const waiting = runChild(['apply', ws.config, '--state', ws.state, '--auto-approve', '--lock-timeout', '60s'], env);
        await new Promise((r) => setTimeout(r, 1500));
        await holder.releaseLock(lock.id);
        const waited = await waiting;
        expect(waited.code, waited.stderr).toBe(0);
        expect(waited.stdout).toContain('No changes.');
        // --lock-timeout that runs out fails with the same message.
        await holder.acquireLock(lock, { waitMs: 0 });
        const t0 = Date.now();
        const timedOut = await runChild(['apply', ws.config, '--state', ws.state, '--auto-approve', '--lock-timeout', '1s'], env);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
        expect(timedOut.code).toBe(1);
        expect(timedOut.stderr).toContain(`lock id ${lock.id}`);
        await holder.releaseLock(lock.id);
      } finally {
        await holder.close();
      }
      const plan = await runCli(['plan', ws.config, '--state', ws.state, '--detailed-exitcode'], { env });
      expect(plan.stdout).toContain('No changes.');
    } finally {
      await ws.cleanup();
    }
  });
});
