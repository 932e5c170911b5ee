// Idle time in 5-minute buckets (pure): splits the interval since a config's
// last idle sample over the buckets it covers, at the level that sample saw.

export const IDLE_BUCKET_MS = 5 * 60_000;
/** Buckets older than this are pruned (the API reports the last 24 h). */
export const IDLE_KEEP_MS = 48 * 3_600_000;

export interface IdleCursor {
  at_ms: number;
  servers: number;
  cores: number;
}

export interface IdleIncrement {
  bucket_ms: number;
  server_ms: number;
  core_ms: number;
}

/** What accrues from `cursor` up to `nowMs` (nothing when the gap is negative or over `maxGapMs`). */
export function idleIncrements(cursor: IdleCursor | undefined, nowMs: number, maxGapMs: number): IdleIncrement[] {
  if (!cursor) return [];
  const gap = nowMs - cursor.at_ms;
  if (!(gap > 0) || gap > maxGapMs || (cursor.servers <= 0 && cursor.cores <= 0)) return [];
  const out: IdleIncrement[] = [];
  let from = cursor.at_ms;
  while (from < nowMs) {
    const bucket = Math.floor(from / IDLE_BUCKET_MS) * IDLE_BUCKET_MS;
    const to = Math.min(nowMs, bucket + IDLE_BUCKET_MS);
    const ms = to - from;
    out.push({ bucket_ms: bucket, server_ms: ms * cursor.servers, core_ms: ms * cursor.cores });
    from = to;
  }
  return out;
}
