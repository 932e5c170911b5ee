// The whole state as one JSON document (`poolform state pull`), with
// free-form JSON (attributes, intent payloads, audit details) redacted.
// Stored secrets (e.g. the check-in signing key) are never exported.
import { redactJson } from './redact.ts';
import type {
  AuditEntry,
  AutoscaleHistory,
  IntentRecord,
  LockInfo,
  ResourceRecord,
  ServerRecord,
  SessionRecord,
  StateStore,
} from './types.ts';

export const STATE_FORMAT_VERSION = '1';

export interface StateExport {
  format_version: string;
  lineage: string;
  serial: number;
  resources: ResourceRecord[];
  servers: ServerRecord[];
  /** Every session, ended ones included, oldest first. */
  sessions: SessionRecord[];
  intents: IntentRecord[];
  history: Record<string, AutoscaleHistory>;
  lock: LockInfo | null;
  /** Oldest first. */
  audit: AuditEntry[];
}

export async function exportState(store: StateStore): Promise<StateExport> {
  const snapshot = await store.snapshot();
  const [sessions, lock, audit] = await Promise.all([store.listSessions(), store.getLock(), store.listAudit(Number.MAX_SAFE_INTEGER)]);
  return {
    format_version: STATE_FORMAT_VERSION,
    lineage: snapshot.lineage,
    serial: snapshot.serial,
    resources: snapshot.resources.map((r) => ({ ...r, attributes: redactJson(r.attributes) })),
    servers: snapshot.servers,
    sessions,
    intents: snapshot.intents.map((i) => ({ ...i, payload: redactJson(i.payload) })),
    history: snapshot.history,
    lock: lock ?? null,
    audit: audit.reverse().map((e) => ({ ...e, detail: e.detail === null ? null : redactJson(e.detail) })),
  };
}
