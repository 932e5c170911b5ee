// Deterministic server names from the intent id. Nova has no client token
// (no idempotency key on POST /servers), so idempotency rests on looking the
// intent up before creating (provider.ts); the name makes a duplicate easy to
// spot by hand and lets destroy refuse names poolform never gives.
import { createHash } from 'node:crypto';

export function serverName(intentId: string): string {
  return `pf-${createHash('sha256').update(intentId).digest('hex').slice(0, 20)}`;
}

export function isPoolformName(name: string): boolean {
  return /^pf-[0-9a-f]{20}$/.test(name);
}
