// Issue 12 defect 10: a VM stopped by hand before it checked in counted as a
// failed start, so every further create of its config (new demand too) was
// held for checkin_timeout. Stopped (or terminated) outside poolform is
// replaced and backs nothing off; a server that never checked in still does.
import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { nextHistory } from './history.ts';
import { input, makeConfig, server, serverPool } from './testing.ts';

const NOW = '2026-12-04T10:00:00.000Z';
const LATER = '2026-12-04T10:01:00.000Z';

describe('failed-start backoff by cause', () => {
  const config = makeConfig({ pools: [serverPool('desk', [{ minimum_available_sessions: 1, checkin_timeout: '30m' }])] });

  function afterRound(victim: ReturnType<typeof server>): ReturnType<typeof decide> {
    const first = decide(input(config, { servers: [victim], now: NOW }));
    const destroyed = first.decisions.filter((d) => d.server_id === victim.id);
    expect(destroyed).toHaveLength(1);
    const history = nextHistory({}, first.decisions, NOW);
    // Next round: the replacement is gone too (say, never made) and demand is there: is the create held?
    return decide(input(config, { servers: [], history, now: LATER }));
  }

  it('a VM stopped at the provider is replaced without backing off later creates', () => {
    const stopped = server({ pool: 'desk', autoscale: 'as0', status: 'failed', stopped: true, created_at: '2026-12-04T09:59:00.000Z' });
    const next = afterRound(stopped);
    expect(next.decisions.filter((d) => d.action === 'hold')).toEqual([]);
    expect(next.decisions.some((d) => d.action === 'create')).toBe(true);
  });

  it('a server that never checked in still backs off, with the hold saying until when', () => {
    const silent = server({ pool: 'desk', autoscale: 'as0', status: 'starting', created_at: '2026-12-04T09:00:00.000Z' });
    const next = afterRound(silent);
    const holds = next.decisions.filter((d) => d.action === 'hold');
    expect(holds).toHaveLength(1);
    expect(holds[0]?.reason).toMatch(/^backoff: 1 consecutive failed start; next create after 2026-12-04T10:30:00/);
  });
});
