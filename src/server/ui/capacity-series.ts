// Capacity over the last 24 h per pool (sessions and servers), rebuilt from
// the stored records: a session counts from created_at until ended_at (or
// now), a server from created_at while it still exists. Servers destroyed in
// the window are not in the store any more and so not counted: the chart
// under-reports servers that came and went (said on the page). Pure.

export interface CapacityPoint {
  at: string;
  sessions: number;
  servers: number;
}

export interface SessionSpan {
  pool: string;
  created_at: string;
  ended_at: string | null;
  status: string;
}

export interface ServerSpan {
  pool: string;
  created_at: string;
}

export const CAPACITY_WINDOW_MS = 24 * 3_600_000;
export const CAPACITY_STEP_MS = 10 * 60_000;

/** Points every 10 minutes from now − 24 h to now (145), per pool name in `pools` (and any pool seen in the records). */
export function capacitySeries(
  pools: readonly string[],
  sessions: readonly SessionSpan[],
  servers: readonly ServerSpan[],
  nowMs: number,
): Map<string, CapacityPoint[]> {
  const out = new Map<string, CapacityPoint[]>();
  const names = new Set([...pools, ...sessions.map((s) => s.pool), ...servers.map((s) => s.pool)]);
  const steps = CAPACITY_WINDOW_MS / CAPACITY_STEP_MS;
  for (const pool of names) {
    const ps = sessions.filter((s) => s.pool === pool && s.status !== 'queued');
    const sv = servers.filter((s) => s.pool === pool).map((s) => Date.parse(s.created_at));
    const spans = ps.map((s) => [Date.parse(s.created_at), s.ended_at === null ? Number.POSITIVE_INFINITY : Date.parse(s.ended_at)] as const);
    const points: CapacityPoint[] = [];
    for (let i = 0; i <= steps; i++) {
      const t = nowMs - CAPACITY_WINDOW_MS + i * CAPACITY_STEP_MS;
      points.push({
        at: new Date(t).toISOString(),
        sessions: spans.filter(([a, b]) => a <= t && t < b).length,
        servers: sv.filter((a) => a <= t).length,
      });
    }
    out.set(pool, points);
  }
  return out;
}
