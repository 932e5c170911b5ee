// Server-side login sessions of the web page. The cookie carries only a random
// session id (32 bytes, base64url); the id maps here to the API key's name and
// a digest of the key as it was at login, so rotating or removing the key, or
// taking its admin role away, ends the session at the next request. The key
// itself is never stored, logged or sent back. In memory: a restart (or
// another replica) asks for the key again, which is the safe default.
import { randomBytes } from 'node:crypto';

export interface LoginSession {
  id: string;
  /** The API key's name (shown as "signed in as"). */
  keyName: string;
  /** SHA-256 digest of the key at login (hex); compared with the key set in force on every request. */
  keyDigest: string;
  createdMs: number;
  lastSeenMs: number;
}

export interface LoginSessionOptions {
  /** Absolute lifetime (default 12 h). */
  maxAgeMs?: number;
  /** Idle lifetime (default 2 h). */
  idleMs?: number;
  /** Most sessions kept; the least recently used goes first (default 1000). */
  maxSessions?: number;
}

export interface LoginSessions {
  create(keyName: string, keyDigest: string, nowMs: number): LoginSession;
  /** The live session with this id (touching it), or undefined. */
  get(id: string | undefined, nowMs: number): LoginSession | undefined;
  delete(id: string | undefined): void;
  readonly maxAgeMs: number;
}

export function createLoginSessions(options: LoginSessionOptions = {}): LoginSessions {
  const maxAgeMs = options.maxAgeMs ?? 12 * 3_600_000;
  const idleMs = options.idleMs ?? 2 * 3_600_000;
  const maxSessions = options.maxSessions ?? 1000;
  // Map iteration order is insertion order; get() re-inserts, so the first entry is the least recently used.
  const sessions = new Map<string, LoginSession>();
  return {
    maxAgeMs,
    create(keyName, keyDigest, nowMs) {
      while (sessions.size >= maxSessions) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      const session: LoginSession = { id: randomBytes(32).toString('base64url'), keyName, keyDigest, createdMs: nowMs, lastSeenMs: nowMs };
      sessions.set(session.id, session);
      return session;
    },
    get(id, nowMs) {
      if (id === undefined || !/^[\w-]{43}$/.test(id)) return undefined;
      const s = sessions.get(id);
      if (!s) return undefined;
      if (nowMs - s.createdMs > maxAgeMs || nowMs - s.lastSeenMs > idleMs) {
        sessions.delete(id);
        return undefined;
      }
      s.lastSeenMs = nowMs;
      sessions.delete(id);
      sessions.set(id, s);
      return s;
    },
    delete(id) {
      if (id !== undefined) sessions.delete(id);
    },
  };
}
