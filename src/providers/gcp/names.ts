// Deterministic names and request ids from the intent id: the same intent
// always names the same instance (and boot disk) and sends the same
// `requestId`, so an insert retried after a crash, a timeout or a lost answer
// returns the first insert's Operation (Compute remembers request ids for at
// least 60 minutes) or 409 alreadyExists for the name, never a second
// instance. Instance names: `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`; 20 hex digits
// of SHA-256 keep collisions out of reach.
import { createHash } from 'node:crypto';

export const NAME_PREFIX = 'pf-';
const NAME_RE = /^pf-[0-9a-f]{20}$/;

export function instanceName(intentId: string): string {
  return `${NAME_PREFIX}${createHash('sha256').update(intentId).digest('hex').slice(0, 20)}`;
}

export function isPoolformName(name: string): boolean {
  return NAME_RE.test(name);
}

/** A UUID (version 5 layout, RFC 9562) derived from `seed`: Compute's requestId must be a valid, non-zero UUID. */
export function requestIdFor(seed: string): string {
  const h = createHash('sha256').update(`poolform-request:${seed}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
