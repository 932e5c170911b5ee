// The daemon wired from its parts, driven by a fake clock and timers: failed
// runs are retried with backoff (1 s doubling), a clean run resets to the interval.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import { createMetrics } from '../server/metrics.ts';
import { silentLog } from '../server/types.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import type { StateStore } from '../state/types.ts';
import { createDaemon } from './daemon.ts';
import type { Daemon } from './daemon.ts';
import { fakeTime } from './fake-timers.ts';
import type { ReconcileOutcome } from './pipeline.ts';
import { PoolformError } from '../util/errors.ts';

let dir: string | undefined;
let store: StateStore | undefined;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  daemon = store = dir = undefined;
});

const OK: ReconcileOutcome = { changes: [], applied: 0, failed: 0, held: [], decisions: [], errors: [], providerErrors: [], audited: true };

/** A daemon on fake time whose reconcile is `run(n)` for the n-th run (1-based); `at` collects run times (ms after start). */
async function fakeDaemon(run: (n: number) => ReconcileOutcome) {
  dir = mkdtempSync(join(tmpdir(), 'poolform-daemon-'));
  store = await createSqliteStore({ path: join(dir, 'state.db') });
  const time = fakeTime(Date.parse('2026-01-05T12:00:00Z'));
  const start = time.clock();
  const at: number[] = [];
  const config = makeConfig({ pools: [serverPool('desktops', [{}])] });
  config.settings.reconcile_interval = '30s';
  daemon = createDaemon({
    dir,
    store,
    log: silentLog,
    metrics: createMetrics(),
    reconcile: async () => {
      at.push(time.clock() - start);
      return run(at.length);
    },
    upstreamAuthAddress: '127.0.0.1:9',
    stateDir: dir,
    load: async () => ({ config, diagnostics: [] }),
    initial: { config, diagnostics: [] },
    watch: false,
    clock: time.clock,
    timers: time.timers,
    replicaId: 'r1',
  });
  await daemon.start();
  return { d: daemon, time, start, at };
}

describe('daemon', () => {
  it('retries a failing reconcile after 1 s, 2 s, 4 s; a clean run goes back to the interval', async () => {
    const { d, time, start, at } = await fakeDaemon((n) => {
      if (n <= 3) throw new Error('provider unreachable');
      return OK;
    });
    await time.advance(50);
    expect(d.status().last_reconcile?.result).toBe('error');
    // Each retry is a trigger, so it starts one coalescing window (50 ms) after its timer.
    await time.advance(1_050 + 2_050 + 4_050);
    expect(at).toEqual([50, 1_100, 3_150, 7_200]);
    expect(d.status().last_reconcile?.result).toBe('ok');
    expect(d.status().next_reconcile_at).toBe(new Date(start + 37_200).toISOString());
    // The recent runs, newest first (the web page's history).
    expect(d.status().recent_reconciles?.map((r) => r.result)).toEqual(['ok', 'error', 'error', 'error']);
    await time.advance(30_050);
    expect(at).toEqual([50, 1_100, 3_150, 7_200, 37_250]);
  });

  it('a terminal error (bad input) is not retried early: the next run is the interval', async () => {
    const { time, at } = await fakeDaemon(() => {
      throw new PoolformError('plan-invalid', 'the plan has no pool');
    });
    await time.advance(50);
    expect(at).toEqual([50]);
    await time.advance(29_999);
    expect(at).toEqual([50]);
    await time.advance(60);
    expect(at).toEqual([50, 30_100]);
  });

  it('failed changes count as a failed run (backoff); a clean run may ask for an earlier requeue', async () => {
    const { time, at } = await fakeDaemon((n) => (n === 1 ? { ...OK, failed: 1 } : { ...OK, requeueAfterMs: 5_000 }));
    await time.advance(50 + 1_050);
    expect(at).toEqual([50, 1_100]);
    await time.advance(5_050);
    expect(at).toEqual([50, 1_100, 6_150]);
  });
});
