// Wall-clock arithmetic in an IANA time zone, with the DST rules schedules use.
//
// Local wall times are represented as "wall ms": the epoch milliseconds the
// wall time would have if the zone were UTC (day number × 86 400 000 + minutes
// × 60 000). Instants are real epoch milliseconds. Offsets come from luxon's
// IANAZone (the platform's tz database through Intl).
//
// Contract of `resolveWall` (the DST rules of the product):
// - a wall time that occurs once maps to that instant;
// - a wall time that occurs twice (the repeated hour when clocks go back) maps
//   to its FIRST occurrence;
// - a wall time that does not exist (the skipped hour when clocks go forward)
//   maps to the first instant after the gap, i.e. the instant of the jump.
// The mapping is monotonic (non-decreasing) in wall time, which is what keeps
// windows from being lost, reversed or doubled around a DST change.
import { IANAZone } from 'luxon';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Offsets cached per 15-minute bucket (verified at both bucket edges, so a change inside a bucket is computed exactly). */
const BUCKET_MS = 15 * MINUTE_MS;
const CACHE_LIMIT = 200_000;

export interface TimeZone {
  readonly name: string;
  /** Offset from UTC in minutes at an instant. */
  offsetAt(instantMs: number): number;
}

const zones = new Map<string, TimeZone>();

/** The zone named `name`; throws RangeError for an unknown zone (config validation rejects those first). */
export function timeZone(name: string): TimeZone {
  const cached = zones.get(name);
  if (cached) return cached;
  const iana = IANAZone.create(name);
  if (!iana.isValid) throw new RangeError(`unknown time zone "${name}"`);
  const buckets = new Map<number, number>();
  const edge = (bucket: number): number => {
    let offset = buckets.get(bucket);
    if (offset === undefined) {
      if (buckets.size >= CACHE_LIMIT) buckets.clear();
      offset = iana.offset(bucket * BUCKET_MS);
      buckets.set(bucket, offset);
    }
    return offset;
  };
  const zone: TimeZone = {
    name,
    offsetAt(instantMs) {
      const bucket = Math.floor(instantMs / BUCKET_MS);
      const first = edge(bucket);
      // Same offset at both edges: no change inside the bucket (tz changes are hours or months apart).
      return first === edge(bucket + 1) ? first : iana.offset(instantMs);
    },
  };
  zones.set(name, zone);
  return zone;
}

/** Local wall ms of an instant in a zone. */
export function toWall(zone: TimeZone, instantMs: number): number {
  return instantMs + zone.offsetAt(instantMs) * MINUTE_MS;
}

/** Local day number (days since 1970-01-01 in local wall time) of an instant. */
export function localDay(zone: TimeZone, instantMs: number): number {
  return Math.floor(toWall(zone, instantMs) / DAY_MS);
}

/** Day of the week of a local day number: 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** The instant a local wall time takes effect, by the DST rules in the header. */
export function resolveWall(zone: TimeZone, wallMs: number): number {
  // Candidate offsets: those in force a day either side cover any single change.
  const before = zone.offsetAt(wallMs - DAY_MS);
  const at = zone.offsetAt(wallMs);
  const after = zone.offsetAt(wallMs + DAY_MS);
  let best = Number.POSITIVE_INFINITY;
  for (const offset of [before, at, after]) {
    const instant = wallMs - offset * MINUTE_MS;
    if (instant < best && zone.offsetAt(instant) === offset) best = instant;
  }
  if (best !== Number.POSITIVE_INFINITY) return best;
  // Skipped wall time: find the instant of the jump between the two readings.
  const high = Math.max(before, at, after);
  const low = Math.min(before, at, after);
  let lo = wallMs - high * MINUTE_MS; // read with the later offset: lands before the jump
  let hi = wallMs - low * MINUTE_MS; // read with the earlier offset: lands after it
  const loOffset = zone.offsetAt(lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offsetAt(mid) === loOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}
