// The Nova server name. Nova derives the guest's hostname (served by the
// metadata service, applied by cloud-init / cloudbase-init) from the server
// name, so the name is the server's hostname from the plan (the same for
// every retry of an intent). Nova names need not be unique and Nova has no
// idempotency key: idempotency rests on the intent id in the metadata
// (provider.ts), not on the name. A plan without a hostname falls back to
// `pf-<20 hex digits of the intent id's SHA-256>`.
import { createHash } from 'node:crypto';

export function serverName(intentId: string, hostname?: string): string {
  if (hostname !== undefined && hostname !== '' && hostname.length <= 255) return hostname;
  return `pf-${createHash('sha256').update(intentId).digest('hex').slice(0, 20)}`;
}
