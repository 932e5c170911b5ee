// Issue 12 defect 2: a what-if decision (`plan --at` next Saturday) judged
// servers seconds old as "check-in timeout: starting for 19h". Check-in
// timeouts are judged by the real clock (DecisionInput.clock), whatever
// instant the decision is for.
import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { input, makeConfig, server, serverPool } from './testing.ts';

const REAL_NOW = '2026-12-04T10:00:00.000Z';
const WHAT_IF = '2026-12-05T05:14:00.000Z'; // 19h 14m later

describe('check-in timeouts in a what-if decision', () => {
  const config = makeConfig({ pools: [serverPool('desk', [{ minimum_available_sessions: 1 }])] });
  const young = server({ pool: 'desk', autoscale: 'as0', status: 'starting', created_at: '2026-12-04T09:59:50.000Z' });

  it('a server seconds old (real clock) is not timed out by a plan for tomorrow', () => {
    const r = decide(input(config, { servers: [young], now: WHAT_IF, clock: REAL_NOW }));
    expect(r.decisions.filter((d) => d.cause === 'checkin-timeout')).toEqual([]);
  });

  it('without a separate clock the decision instant is the clock (the daemon, a plain plan)', () => {
    const r = decide(input(config, { servers: [young], now: WHAT_IF }));
    expect(r.decisions.some((d) => d.cause === 'checkin-timeout')).toBe(true);
  });

  it('a server really past checkin_timeout times out, whatever instant the plan is for', () => {
    const old = server({ pool: 'desk', autoscale: 'as0', status: 'starting', created_at: '2026-12-04T09:00:00.000Z' });
    const r = decide(input(config, { servers: [old], now: WHAT_IF, clock: REAL_NOW }));
    expect(r.decisions.some((d) => d.cause === 'checkin-timeout' && d.server_id === old.id)).toBe(true);
  });
});
