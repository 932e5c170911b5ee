// `prewarm: auto | <duration> | off`: how long before a window raises the
// target the autoscaler starts acting on it, so servers have booted when the
// window begins. Pure: boot history comes in as an argument.
//
// - off (default): no lead;
// - a duration: exactly that lead;
// - auto: the median boot time (create → first running check-in) of the
//   config's newest 20 servers, at most MAX_AUTO_PREWARM_MS; with no boot
//   recorded yet, checkin_timeout / 2.
import type { AutoscaleConfig } from '../generated/config.ts';
import { parseDuration } from '../util/duration.ts';
import { BOOT_SAMPLES, medianBootMs } from './boot-history.ts';
import { formatDuration } from './format.ts';
import { checkinTimeoutMs } from './settings.ts';

/** The bound on a learned lead: a few slow boots must not keep servers running for half a day. */
export const MAX_AUTO_PREWARM_MS = 2 * 3_600_000;

export type PrewarmSetting = { kind: 'off' } | { kind: 'auto' } | { kind: 'fixed'; ms: number };

/** Parses the field; throws RangeError on a malformed value (validate reports those first). */
export function parsePrewarm(value: string | undefined): PrewarmSetting {
  const text = (value ?? 'off').trim();
  if (text === 'off') return { kind: 'off' };
  if (text === 'auto') return { kind: 'auto' };
  return { kind: 'fixed', ms: parseDuration(text) };
}

export interface PrewarmLead {
  ms: number;
  /** For reasons: "boot time 14m (median of 20)", "prewarm 20m", "boot time unknown, checkin_timeout / 2 = 15m". */
  why: string;
}

/** The lead for a config; null when pre-warming is off. `bootTimes`: its boot durations, oldest first. */
export function prewarmLead(autoscale: Pick<AutoscaleConfig, 'prewarm' | 'checkin_timeout'>, bootTimes: readonly number[] = []): PrewarmLead | null {
  const setting = parsePrewarm(autoscale.prewarm);
  switch (setting.kind) {
    case 'off':
      return null;
    case 'fixed':
      return setting.ms > 0 ? { ms: setting.ms, why: `prewarm ${formatDuration(setting.ms)}` } : null;
    case 'auto': {
      const median = medianBootMs(bootTimes);
      if (median === null) {
        const ms = Math.min(MAX_AUTO_PREWARM_MS, Math.floor(checkinTimeoutMs(autoscale as AutoscaleConfig) / 2));
        return { ms, why: `boot time unknown, checkin_timeout / 2 = ${formatDuration(ms)}` };
      }
      const n = Math.min(bootTimes.length, BOOT_SAMPLES);
      const ms = Math.min(MAX_AUTO_PREWARM_MS, median);
      const capped = ms < median ? `, capped at ${formatDuration(MAX_AUTO_PREWARM_MS)}` : '';
      return { ms, why: `boot time ${formatDuration(median)} (median of ${n}${capped})` };
    }
    default: {
      const unreachable: never = setting;
      return unreachable;
    }
  }
}
