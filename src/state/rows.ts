// Mapping between store records and table rows, shared by both backends.
// PostgreSQL returns BIGINT as strings and SQLite has no booleans, so every
// read goes through these converters.
import type {
  AuditEntry,
  AutoscaleHistory,
  IntentRecord,
  JsonObject,
  LockInfo,
  ResourceRecord,
  Resources,
  ServerRecord,
  SessionRecord,
} from './types.ts';
import type { Row, SqlValue } from './sql-driver.ts';

function str(row: Row, key: string): string {
  const v = row[key];
  return typeof v === 'string' ? v : String(v);
}

function optStr(row: Row, key: string): string | null {
  const v = row[key];
  return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
}

function num(row: Row, key: string): number {
  const v = row[key];
  return typeof v === 'number' ? v : Number(v);
}

function optNum(row: Row, key: string): number | null {
  const v = row[key];
  return v === null || v === undefined ? null : typeof v === 'number' ? v : Number(v);
}

function bool(row: Row, key: string): boolean {
  return num(row, key) !== 0;
}

function json<T>(row: Row, key: string): T {
  return JSON.parse(str(row, key)) as T;
}

function optJson<T>(row: Row, key: string): T | null {
  const v = optStr(row, key);
  return v === null ? null : (JSON.parse(v) as T);
}

/** Milliseconds since the epoch of an ISO time; throws on a malformed one (a caller bug). */
export function toMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`invalid ISO time "${iso}"`);
  return ms;
}

// ---------------------------------------------------------------- resources

export const RESOURCE_COLUMNS = ['address', 'type', 'provider', 'provider_id', 'attributes', 'status', 'created_at', 'updated_at'] as const;

export function resourceParams(r: ResourceRecord): SqlValue[] {
  return [r.address, r.type, r.provider, r.provider_id, JSON.stringify(r.attributes), r.status, r.created_at, r.updated_at];
}

export function resourceFromRow(row: Row): ResourceRecord {
  return {
    address: str(row, 'address'),
    type: str(row, 'type') as ResourceRecord['type'],
    provider: optStr(row, 'provider'),
    provider_id: optStr(row, 'provider_id'),
    attributes: json<JsonObject>(row, 'attributes'),
    status: str(row, 'status') as ResourceRecord['status'],
    created_at: str(row, 'created_at'),
    updated_at: str(row, 'updated_at'),
  };
}

// ---------------------------------------------------------------- servers

export const SERVER_COLUMNS = [
  'id',
  'pool',
  'autoscale',
  'address',
  'hostname',
  'ip',
  'connection_type',
  'connection_port',
  'status',
  'status_message',
  'status_progress',
  'max_sessions',
  'reusable',
  'capacity',
  'enabled',
  'created_at',
  'created_ms',
  'updated_at',
  'checked_in_at',
] as const;

export function serverParams(s: ServerRecord): SqlValue[] {
  return [
    s.id,
    s.pool,
    s.autoscale,
    s.address,
    s.hostname,
    s.ip,
    s.connection_type,
    s.connection_port,
    s.status,
    s.status_message,
    s.status_progress,
    s.max_sessions,
    s.reusable ? 1 : 0,
    s.capacity === null ? null : JSON.stringify(s.capacity),
    s.enabled ? 1 : 0,
    s.created_at,
    toMs(s.created_at),
    s.updated_at,
    s.checked_in_at,
  ];
}

export function serverFromRow(row: Row): ServerRecord {
  return {
    id: str(row, 'id'),
    pool: str(row, 'pool'),
    autoscale: optStr(row, 'autoscale'),
    address: str(row, 'address'),
    hostname: str(row, 'hostname'),
    ip: optStr(row, 'ip'),
    connection_type: optStr(row, 'connection_type'),
    connection_port: optNum(row, 'connection_port'),
    status: str(row, 'status') as ServerRecord['status'],
    status_message: str(row, 'status_message'),
    status_progress: num(row, 'status_progress'),
    max_sessions: num(row, 'max_sessions'),
    reusable: bool(row, 'reusable'),
    capacity: optJson<Resources>(row, 'capacity'),
    enabled: bool(row, 'enabled'),
    created_at: str(row, 'created_at'),
    updated_at: str(row, 'updated_at'),
    checked_in_at: optStr(row, 'checked_in_at'),
  };
}

// ---------------------------------------------------------------- sessions

export const SESSION_COLUMNS = [
  'id',
  'pool',
  'user_name',
  'zone',
  'workspace',
  'server_id',
  'status',
  'resources',
  'staged',
  'staging',
  'created_at',
  'created_ms',
  'updated_at',
  'last_keepalive_at',
  'last_keepalive_ms',
  'ended_at',
  'end_reason',
  'api_key',
  'target_server_id',
] as const;

export function sessionParams(s: SessionRecord): SqlValue[] {
  return [
    s.id,
    s.pool,
    s.user,
    s.zone,
    s.workspace,
    s.server_id,
    s.status,
    s.resources === null ? null : JSON.stringify(s.resources),
    s.staged ? 1 : 0,
    s.staging,
    s.created_at,
    toMs(s.created_at),
    s.updated_at,
    s.last_keepalive_at,
    toMs(s.last_keepalive_at),
    s.ended_at,
    s.end_reason,
    s.api_key,
    s.target_server_id ?? null,
  ];
}

export function sessionFromRow(row: Row): SessionRecord {
  return {
    id: str(row, 'id'),
    pool: str(row, 'pool'),
    user: str(row, 'user_name'),
    zone: optStr(row, 'zone'),
    workspace: optStr(row, 'workspace'),
    server_id: optStr(row, 'server_id'),
    status: str(row, 'status') as SessionRecord['status'],
    resources: optJson<Resources>(row, 'resources'),
    staged: bool(row, 'staged'),
    staging: optStr(row, 'staging'),
    created_at: str(row, 'created_at'),
    updated_at: str(row, 'updated_at'),
    last_keepalive_at: str(row, 'last_keepalive_at'),
    ended_at: optStr(row, 'ended_at'),
    end_reason: optStr(row, 'end_reason'),
    api_key: optStr(row, 'api_key'),
    // Only targeted sessions carry the field (untargeted records stay as they were).
    ...(optStr(row, 'target_server_id') !== null ? { target_server_id: optStr(row, 'target_server_id') } : {}),
  };
}

// ---------------------------------------------------------------- the rest

export function intentFromRow(row: Row): IntentRecord {
  return {
    id: str(row, 'id'),
    address: str(row, 'address'),
    type: str(row, 'type') as IntentRecord['type'],
    payload: json<JsonObject>(row, 'payload'),
    created_at: str(row, 'created_at'),
  };
}

export function lockFromRow(row: Row): LockInfo {
  return {
    id: str(row, 'id'),
    operation: str(row, 'operation'),
    pid: num(row, 'pid'),
    host: str(row, 'host'),
    since: str(row, 'since'),
  };
}

export function auditFromRow(row: Row): AuditEntry {
  return {
    at: str(row, 'at'),
    actor: str(row, 'actor'),
    action: str(row, 'action'),
    address: optStr(row, 'address'),
    reason: str(row, 'reason'),
    detail: optJson<JsonObject>(row, 'detail'),
  };
}

export function historyFromRow(row: Row): AutoscaleHistory {
  const history: AutoscaleHistory = {
    last_create_at: optStr(row, 'last_create_at'),
    last_destroy_at: optStr(row, 'last_destroy_at'),
    consecutive_failures: num(row, 'consecutive_failures'),
    last_failure_at: optStr(row, 'last_failure_at'),
  };
  // The create-error fields are optional: present only once a create was refused.
  const createErrors = row['create_errors'] === null || row['create_errors'] === undefined ? 0 : num(row, 'create_errors');
  const lastAt = optStr(row, 'last_create_error_at');
  if (createErrors > 0 || lastAt !== null) {
    history.create_errors = createErrors;
    history.last_create_error_at = lastAt;
    history.last_create_error = optStr(row, 'last_create_error');
  }
  return history;
}

/** Columns of autoscale_history, in upsert order. */
export const HISTORY_COLUMNS = [
  'key',
  'last_create_at',
  'last_destroy_at',
  'consecutive_failures',
  'last_failure_at',
  'create_errors',
  'last_create_error_at',
  'last_create_error',
] as const;

export function historyParams(key: string, h: AutoscaleHistory): SqlValue[] {
  return [key, h.last_create_at, h.last_destroy_at, h.consecutive_failures, h.last_failure_at, h.create_errors ?? 0, h.last_create_error_at ?? null, h.last_create_error ?? null];
}

/**
 * `INSERT ... ON CONFLICT (key) DO UPDATE` over all columns, valid in SQLite and
 * PostgreSQL. With `onlyIfChanged`, an identical row is left untouched and the
 * statement reports 0 changed rows (so writing the same record again is not a change).
 */
export function upsertSql(table: string, columns: readonly string[], key: string, onlyIfChanged = false): string {
  const placeholders = columns.map(() => '?').join(', ');
  const others = columns.filter((c) => c !== key);
  const updates = others.map((c) => `${c} = excluded.${c}`).join(', ');
  const where = onlyIfChanged ? ` WHERE ${others.map((c) => `${table}.${c} IS DISTINCT FROM excluded.${c}`).join(' OR ')}` : '';
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders}) ON CONFLICT (${key}) DO UPDATE SET ${updates}${where}`;
}
