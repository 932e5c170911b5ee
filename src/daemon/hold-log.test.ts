// Issue 12 defect 10: a hold shows with its reason and end time in the log
// (`event: decision`, `action: hold`, `until`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { createMetrics } from '../server/metrics.ts';
import type { Log } from '../server/types.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import { createDaemon } from './daemon.ts';
import type { Daemon } from './daemon.ts';
import type { ReconcileFn } from './pipeline.ts';

const dirs: string[] = [];
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('hold decisions in the log', () => {
  it('carry until (the end of the back-off) next to the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolform-holdlog-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'settings.yaml'), 'kind: Settings\nreconcile_interval: 1h\n');
    const lines: Record<string, unknown>[] = [];
    const put = (obj: object): void => void lines.push(obj as Record<string, unknown>);
    const log: Log = { info: put, warn: put, error: put, debug: put };
    const reconcile: ReconcileFn = () =>
      Promise.resolve({
        changes: [],
        applied: 0,
        failed: 0,
        held: [],
        decisions: [
          {
            action: 'hold',
            pool: 'desk',
            autoscale: 'day',
            reason: 'backoff: 1 consecutive failed start; next create after 2026-12-04T10:30:00.000Z (1 server wanted)',
          },
          { action: 'hold', pool: 'desk', autoscale: 'night', reason: 'max_instances 5 reached; 2 servers wanted' },
        ],
        errors: [],
        providerErrors: [],
        audited: false,
      });
    const store = await createSqliteStore({ path: ':memory:' });
    const daemon = createDaemon({
      dir,
      store,
      log,
      metrics: createMetrics(),
      reconcile,
      upstreamAuthAddress: '127.0.0.1:9',
      stateDir: dir,
      load: loadConfig,
      initial: await loadConfig(dir),
      watch: false,
      lockWaitMs: 200,
    });
    daemons.push(daemon);
    await daemon.start();
    await daemon.reconcileNow('test');
    const holds = lines.filter((l) => l['event'] === 'decision' && l['action'] === 'hold');
    expect(holds).toContainEqual(expect.objectContaining({ autoscale: 'day', until: '2026-12-04T10:30:00.000Z', reason: expect.stringMatching(/^backoff/) }));
    expect(holds).toContainEqual(expect.objectContaining({ autoscale: 'night', until: null }));
    await daemon.stop();
    daemons.splice(0);
    await store.close();
  });
});
