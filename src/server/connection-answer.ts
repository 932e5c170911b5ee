// What a session answer tells the gateway about how to connect: credentials,
// SSH key material and the free-form connection_info of the server's config
// entry (fixed server or autoscale config).
//
//   username / password  connection_username / connection_password with
//                        {sso_username} / {sso_cred} replaced (connection.ts)
//   private_key          SSH only: the config's connection_private_key, or,
//                        with use_user_private_key, the key the user sent with
//                        the request (`ssh_private_key`, memory only)
//   passphrase           SSH only: connection_passphrase of the config's key
//   connection_info      the config's JSON with {sso_username} replaced in
//                        every string (keys are left as written)
//
// Key material is handed only to the API key that owns the session
// (`includeKeys`); it is never logged, stored or shown in status. Resolving a
// secret reference that cannot be read throws PoolformError
// `secret-unresolved` naming the reference, never a value.
import { findAutoscale, findPool, sourceDir } from '../config/lookup.ts';
import type { Config, Pool } from '../config/model.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { JsonValue, ServerRecord } from '../state/types.ts';
import type { Connection } from './connection.ts';
import { SSO_CRED, SSO_USERNAME, renderConnection } from './connection.ts';

/** The connection fields of a fixed server or autoscale config entry. */
export interface ConnectionEntry {
  connection_type?: string;
  connection_username?: string;
  connection_password?: string;
  use_user_private_key?: boolean;
  connection_private_key?: string;
  connection_passphrase?: string;
  connection_info?: Record<string, unknown>;
}

/** Per-request secrets, held in memory only (never persisted). */
export interface SessionSecrets {
  /** The user's own password, for {sso_cred}. */
  credential?: string | undefined;
  /** The user's SSH private key (RSA PKCS#1 PEM), for use_user_private_key. */
  sshPrivateKey?: string | undefined;
}

export interface ConnectionAnswer {
  connection: Connection & { private_key?: string; passphrase?: string };
  connection_info: JsonValue;
}

/** The config entry a server's connection comes from (undefined: gone from the config). */
export function connectionEntryFor(config: Config, server: ServerRecord): ConnectionEntry | undefined {
  const pool = findPool(config, server.pool);
  if (!pool) return undefined;
  if (server.autoscale !== null) return findAutoscale(pool, server.autoscale);
  const prefix = `fixed.${server.pool}.`;
  const name = server.id.startsWith(prefix) ? server.id.slice(prefix.length) : server.id;
  return pool.servers?.find((s) => s.name === name);
}

/** Whether any connection of the pool uses the requesting user's SSH key. */
export function poolUsesUserKey(pool: Pool): boolean {
  return [...(pool.servers ?? []), ...(pool.autoscale ?? [])].some((e) => e.use_user_private_key === true);
}

/** Whether every connection of the pool does (a request without a key could go nowhere). */
export function poolNeedsUserKey(pool: Pool): boolean {
  const entries = [...(pool.servers ?? []), ...(pool.autoscale ?? [])];
  return entries.length > 0 && entries.every((e) => e.use_user_private_key === true);
}

/** Whether this server's connection uses the requesting user's SSH key. */
export function serverUsesUserKey(config: Config, server: ServerRecord): boolean {
  return connectionEntryFor(config, server)?.use_user_private_key === true;
}

function substituteUser(value: unknown, user: string): JsonValue {
  if (typeof value === 'string') return value.split(SSO_USERNAME).join(user);
  if (Array.isArray(value)) return value.map((v) => substituteUser(v, user));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteUser(v, user);
    return out;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return null;
}

/** connection_info of an entry for one user ({} when the entry has none). */
export function renderConnectionInfo(entry: ConnectionEntry | undefined, user: string): JsonValue {
  return substituteUser(entry?.connection_info ?? {}, user);
}

/**
 * The answer for one session. `includeKeys` false (another API key asks)
 * leaves private_key and passphrase out. A `{sso_cred}` without a credential
 * becomes an empty password (the client asks the user).
 */
export function renderConnectionAnswer(
  config: Config,
  server: ServerRecord,
  request: { user: string; secrets: SessionSecrets; includeKeys: boolean },
  env: Readonly<Record<string, string | undefined>>,
): ConnectionAnswer {
  const entry = connectionEntryFor(config, server);
  const secrets = { env, baseDir: sourceDir(config, `Pool/${server.pool}`) };
  const credential = request.secrets.credential;
  let base = renderConnection(
    { username: entry?.connection_username ?? '', password: entry?.connection_password ?? '' },
    { user: request.user, credential },
    secrets,
  );
  if (credential === undefined && (base.password.includes(SSO_CRED) || base.username.includes(SSO_CRED))) {
    base = { username: base.username.split(SSO_CRED).join(''), password: '' };
  }
  const connection: ConnectionAnswer['connection'] = { ...base };
  if (request.includeKeys && entry && (entry.connection_type ?? server.connection_type) === 'ssh') {
    if (entry.use_user_private_key === true) {
      if (request.secrets.sshPrivateKey !== undefined) connection.private_key = request.secrets.sshPrivateKey;
    } else if (entry.connection_private_key) {
      connection.private_key = resolveSecret(entry.connection_private_key, secrets);
      if (entry.connection_passphrase) connection.passphrase = resolveSecret(entry.connection_passphrase, secrets);
    }
  }
  return { connection, connection_info: renderConnectionInfo(entry, request.user) };
}
