// The web page's pure parts: the week timeline (DST days), the capacity
// series, login sessions (expiry, eviction, unguessable ids) and escaping.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capacitySeries } from './capacity-series.ts';
import { escapeHtml, html } from './html.ts';
import { createLoginSessions } from './login-sessions.ts';
import type { ScheduledConfig } from '../../schedule/active.ts';
import { activeIntervals, validZone, weekTimeline } from './schedule-week.ts';

const OFFICE = {
  enabled: true,
  schedules: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00', timezone: 'Europe/Berlin' }],
} as ScheduledConfig;

describe('week timeline', () => {
  it('marks the spring-forward day as 23 hours and the autumn day as 25; windows sit at their wall-clock times', () => {
    const spring = weekTimeline(OFFICE, 'Europe/Berlin', Date.parse('2026-03-26T12:00:00Z'));
    expect(spring.days.map((d) => d.date)).toEqual(['2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29', '2026-03-30', '2026-03-31', '2026-04-01']);
    expect(spring.days.map((d) => d.hours)).toEqual([24, 24, 24, 23, 24, 24, 24]);
    expect(spring.days.map((d) => d.dst)).toEqual([false, false, false, true, false, false, false]);
    // Thursday 08:00–18:00 local: 8/24 to 18/24 of the day; weekend empty.
    expect(spring.days[0]?.segments).toEqual([{ from: 8 / 24, to: 18 / 24, fromIso: '2026-03-26T07:00:00.000Z', toIso: '2026-03-26T17:00:00.000Z' }]);
    expect(spring.days[2]?.segments).toEqual([]);
    // Monday after the change: summer time, so 06:00Z is 08:00 local.
    expect(spring.days[4]?.segments[0]?.fromIso).toBe('2026-03-30T06:00:00.000Z');
    const autumn = weekTimeline(OFFICE, 'Europe/Berlin', Date.parse('2026-10-23T12:00:00Z'));
    expect(autumn.days.find((d) => d.dst)).toMatchObject({ date: '2026-10-25', hours: 25 });
  });

  it('the same week seen from another zone: the same instants, other days', () => {
    const nowMs = Date.parse('2026-03-26T12:00:00Z');
    const berlin = weekTimeline(OFFICE, 'Europe/Berlin', nowMs);
    const ny = weekTimeline(OFFICE, 'America/New_York', nowMs);
    const starts = (t: typeof berlin) => new Set(t.days.flatMap((d) => d.segments.map((s) => s.fromIso)));
    // Thursday's window starts 03:00 in New York: the same instant in both views.
    expect(starts(ny).has('2026-03-26T07:00:00.000Z')).toBe(true);
    expect(starts(berlin).has('2026-03-26T07:00:00.000Z')).toBe(true);
  });

  it('no schedules: always active; disabled: never', () => {
    const nowMs = Date.parse('2026-06-01T00:00:00Z');
    expect(activeIntervals({ enabled: true, schedules: [] }, nowMs, nowMs + 86_400_000)).toEqual([[nowMs, nowMs + 86_400_000]]);
    expect(activeIntervals({ enabled: false, schedules: OFFICE.schedules ?? [] }, nowMs, nowMs + 86_400_000)).toEqual([]);
  });

  it('property: segments lie inside their day, in order, never overlapping', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2028-01-01T00:00:00Z') }),
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC'),
        (nowMs, zone) => {
          for (const d of weekTimeline(OFFICE, zone, nowMs).days) {
            let last = 0;
            for (const s of d.segments) {
              expect(s.from).toBeGreaterThanOrEqual(last);
              expect(s.to).toBeGreaterThan(s.from);
              expect(s.to).toBeLessThanOrEqual(1);
              last = s.to;
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('validZone accepts IANA names only', () => {
    expect(validZone('Europe/Berlin')).toBe(true);
    expect(validZone('Not/AZone')).toBe(false);
    expect(validZone('')).toBe(false);
    expect(validZone(undefined)).toBe(false);
  });
});

describe('capacity series', () => {
  it('counts sessions between start and end, servers from creation; 145 points over 24 h', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    const iso = (h: number) => new Date(now - h * 3_600_000).toISOString();
    const series = capacitySeries(
      ['p', 'empty'],
      [
        { pool: 'p', created_at: iso(10), ended_at: iso(5), status: 'ended' },
        { pool: 'p', created_at: iso(2), ended_at: null, status: 'running' },
        { pool: 'p', created_at: iso(1), ended_at: null, status: 'queued' },
      ],
      [{ pool: 'p', created_at: iso(12) }],
      now,
    );
    const p = series.get('p') ?? [];
    expect(p).toHaveLength(145);
    const at = (h: number) => p.find((x) => x.at === iso(h));
    expect(at(11)).toMatchObject({ sessions: 0, servers: 1 });
    expect(at(7)).toMatchObject({ sessions: 1, servers: 1 });
    expect(at(3)).toMatchObject({ sessions: 0 });
    expect(at(0)).toMatchObject({ sessions: 1 });
    expect(at(13)).toMatchObject({ servers: 0 });
    expect(series.get('empty')?.every((x) => x.sessions === 0 && x.servers === 0)).toBe(true);
  });
});

describe('login sessions', () => {
  it('random 43-character ids; idle and absolute expiry; the least recently used goes first', () => {
    const s = createLoginSessions({ idleMs: 1000, maxAgeMs: 5000, maxSessions: 2 });
    const a = s.create('ops', 'd', 0);
    expect(a.id).toMatch(/^[\w-]{43}$/);
    expect(s.create('ops', 'd', 0).id).not.toBe(a.id);
    expect(s.get(a.id, 900)?.keyName).toBe('ops');
    expect(s.get(a.id, 1800)).toBeDefined(); // touched at 900
    expect(s.get(a.id, 2900)).toBeUndefined(); // idle > 1000
    const b = s.create('ops', 'd', 3000);
    for (let t = 3500; t < 8000; t += 500) s.get(b.id, t);
    expect(s.get(b.id, 8100)).toBeUndefined(); // older than 5000
    const c = s.create('x', 'd', 0);
    const d = s.create('y', 'd', 0);
    s.get(c.id, 1);
    s.create('z', 'd', 2); // evicts d, the least recently used
    expect(s.get(d.id, 3)).toBeUndefined();
    expect(s.get(c.id, 3)).toBeDefined();
    expect(s.get('../etc', 0)).toBeUndefined();
    expect(s.get(undefined, 0)).toBeUndefined();
  });
});

describe('escaping', () => {
  it('property: no interpolated string can open a tag or leave an attribute', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = String(html`<p title="${s}">${s}</p>`);
        const inner = out.slice('<p title="'.length, -'</p>'.length);
        expect(inner.replace('">', '')).not.toMatch(/[<>"']/);
        expect(escapeHtml(s).length).toBeGreaterThanOrEqual(s.length);
      }),
    );
  });
});
