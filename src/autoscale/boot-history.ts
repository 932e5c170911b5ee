// Boot times: how long servers of an autoscale config take from create to
// their first `running` check-in. The state keeps the samples (one per server,
// recorded by the check-in endpoint); the decision core reads the newest
// BOOT_SAMPLES of them per config to size `prewarm: auto`. Pure.
import type { BootSample } from '../model/capacity-usage.ts';

export type { BootSample };

/** Samples the median is taken over. */
export const BOOT_SAMPLES = 20;

/** Milliseconds from create to first running check-in (never negative), or null when the times are unusable. */
export function bootMs(sample: Pick<BootSample, 'created_at' | 'running_at'>): number | null {
  const ms = Date.parse(sample.running_at) - Date.parse(sample.created_at);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

/** Boot durations per `pool/autoscale`, oldest first, the newest BOOT_SAMPLES only. */
export function bootTimesByConfig(samples: readonly BootSample[]): Record<string, number[]> {
  const sorted = [...samples].sort((a, b) =>
    a.running_at < b.running_at ? -1 : a.running_at > b.running_at ? 1 : a.server_id < b.server_id ? -1 : a.server_id > b.server_id ? 1 : 0,
  );
  const out: Record<string, number[]> = {};
  for (const s of sorted) {
    const ms = bootMs(s);
    if (ms === null) continue;
    (out[`${s.pool}/${s.autoscale}`] ??= []).push(ms);
  }
  for (const list of Object.values(out)) if (list.length > BOOT_SAMPLES) list.splice(0, list.length - BOOT_SAMPLES);
  return out;
}

/** Median of the newest BOOT_SAMPLES durations (input oldest first); null when there are none. Even counts: the mean of the two middle ones. */
export function medianBootMs(durations: readonly number[]): number | null {
  const recent = durations.slice(-BOOT_SAMPLES).filter((d) => Number.isFinite(d));
  if (recent.length === 0) return null;
  const sorted = [...recent].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : Math.round(((sorted[mid - 1] ?? hi) + hi) / 2);
}
