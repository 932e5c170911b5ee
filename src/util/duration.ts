// Durations in config are strings like "30s", "15m", "4h" (schema $defs/Duration).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration string; throws RangeError on a malformed one (the schema rejects those first). */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  const unit = match?.[2];
  if (!match || unit === undefined) throw new RangeError(`invalid duration "${text}" (expected e.g. 30s, 15m, 4h)`);
  return Number(match[1]) * (UNIT_MS[unit] ?? 0);
}

/** Milliseconds of an optional duration, or the fallback. */
export function durationOr(text: string | undefined, fallback: string): number {
  return parseDuration(text ?? fallback);
}
