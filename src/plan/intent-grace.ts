// Grace for unfinished VM creates. A provider may list a just-launched VM only
// after a while (eventual consistency: EC2's DescribeInstances lags
// RunInstances). If an apply died right after the create, an intent whose VM
// is not listed yet must not be discarded (the decision core would then
// create a second VM): while the intent is younger than the grace, plan keeps
// it and counts its server ("waiting for ... to appear"); once older, the
// provider really made nothing and the intent is discarded. An intent whose
// create the provider definitively refused (apply records `create_error` with
// `create_retryable: false` on it) has nothing to wait for.
import type { Config } from '../config/model.ts';
import type { IntentRecord } from '../model/resource.ts';
import { findVmProvider } from '../config/lookup.ts';
import { intentPayloadView } from '../model/intent-payload.ts';

export const INTENT_GRACE_MS = 10 * 60_000;

/**
 * The grace for intents of one VmProvider: none for the local provider (it lists its
 * VM directories directly, so what it made is listed at once), INTENT_GRACE_MS for
 * cloud providers; `override` (tests) applies to every provider.
 */
export function intentGraceFor(config: Config, provider: string, override?: number): number {
  if (override !== undefined) return override;
  return findVmProvider(config, provider)?.type === 'local' ? 0 : INTENT_GRACE_MS;
}

/** Milliseconds since the intent was written (0 when its time cannot be read). */
export function intentAgeMs(intent: Pick<IntentRecord, 'created_at'>, nowIso: string): number {
  const age = Date.parse(nowIso) - Date.parse(intent.created_at);
  return Number.isFinite(age) ? Math.max(0, age) : 0;
}

/** True when the provider definitively refused the create (nothing can appear later). */
export function createRefused(intent: Pick<IntentRecord, 'payload'>): boolean {
  const payload = intentPayloadView(intent.payload);
  return payload.create_error !== null && payload.create_retryable === false;
}

/** True while an unobserved intent should still be waited for. */
export function withinIntentGrace(intent: Pick<IntentRecord, 'created_at' | 'payload'>, nowIso: string, graceMs: number): boolean {
  return !createRefused(intent) && intentAgeMs(intent, nowIso) < graceMs;
}

/** `4m10s`-style age for messages. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
