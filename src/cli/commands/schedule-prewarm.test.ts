// `poolform schedule` with `prewarm: auto`: the pre-warm start comes from the
// learned boot times when a state is read (--state), else from the fallback, said so.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_PROVIDER, writeConfigDir } from '../../../test/fixtures/config/load-strings.ts';
import { runMain } from '../../../test/support/cli.ts';
import { createSqliteStore } from '../../state/sqlite-store.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const POOL = `kind: Pool
name: desktops
type: server
autoscale:
  - name: day
    vm_provider: local
    connection_type: rdp
    checkin_timeout: 30m
    prewarm: auto
    schedules:
      - { days: [mon, tue, wed, thu, fri], start: "07:30", end: "09:30", timezone: Europe/Berlin, minimum_available_sessions: 50 }
`;

describe('poolform schedule with prewarm: auto', () => {
  it('uses the learned boot time with --state, the fallback without', async () => {
    const dir = await writeConfigDir({ 'a.yaml': `${LOCAL_PROVIDER}---\n${POOL}` });
    dirs.push(dir);
    const state = join(dir, 'learned-state');
    const store = await createSqliteStore({ path: state });
    for (let i = 0; i < 3; i++) {
      await store.recordBoot({
        pool: 'desktops',
        autoscale: 'day',
        server_id: `s${i}`,
        created_at: '2024-03-04T06:00:00.000Z',
        running_at: `2024-03-04T06:1${2 + i}:00.000Z`,
      });
    }
    await store.close();
    const args = ['schedule', '.', '--at', '2024-03-11T05:00:00Z', '--count', '1', '--json'];
    const learned = await runMain([...args, '--state', state], { cwd: dir });
    expect(learned.code, learned.err).toBe(0);
    const entry = JSON.parse(learned.out).autoscale[0];
    expect(entry.prewarm).toEqual({ ms: 13 * 60_000, why: 'boot time 13m (median of 3)' });
    expect(entry.target_changes[0]).toMatchObject({ at: '2024-03-11T06:30:00.000Z', prewarm_at: '2024-03-11T06:17:00.000Z' });

    const fallback = await runMain(args, { cwd: dir });
    expect(fallback.code, fallback.err).toBe(0);
    const guess = JSON.parse(fallback.out).autoscale[0];
    expect(guess.prewarm.why).toBe('auto: boot time unknown, checkin_timeout / 2 = 15m (no state read; pass --state to use the learned boot time)');
    expect(guess.target_changes[0].prewarm_at).toBe('2024-03-11T06:15:00.000Z');
  });
});
