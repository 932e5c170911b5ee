// The in-memory capacity index of one pool: which usable servers have room,
// least loaded first, so a placement costs O(log n) instead of a read of the
// whole pool. Pure data structure (no I/O, no clock): the store builds it from
// the database, keeps it current from the same code path that commits
// sessions, and re-checks every pick in the database before it commits (the
// index may be stale when another process wrote; it is never trusted for the
// limit itself).
//
// Layout: servers are grouped in placement classes (one per autoscale config,
// one for all fixed servers: the placement rules treat the servers of a class
// alike, except the zone of fixed servers); inside a class, servers with a free
// slot sit in one bucket per load (running sessions), each bucket ordered
// oldest first (created_at, then id). The least loaded server of a class is the
// first of its lowest non-empty bucket. Full servers and docker agents are in
// no bucket (docker choosers look at every agent: see `all`).
import { isUsable } from './placement.ts';
import type { NewSession, PlacementCandidate, PlacementChooser, ServerRecord, SessionRecord } from './types.ts';

/** What an indexed chooser sees of one pool. Candidates are live: read them synchronously, never change them. */
export interface PoolCapacityView {
  /** Placement classes present: `autoscale:<name>` per autoscale config, `fixed` for fixed servers. */
  classes(): readonly string[];
  /** Servers of a class with a free slot (server pools only), least loaded first, then oldest. Lazy. */
  withRoom(cls: string): Iterable<PlacementCandidate>;
  /** Usable servers on which the user has a running session that is not staged. */
  ofUser(user: string): PlacementCandidate[];
  /** Every usable server of the pool that could take a session (docker agents whatever their load), oldest first, with its running sessions: for docker pools and choosers without an indexed path. */
  all(): PlacementCandidate[];
  get(serverId: string): PlacementCandidate | undefined;
}

/** A chooser's fast path: the same decision as the chooser, taken from the index. */
export type IndexedChoice = (view: PoolCapacityView, request: NewSession) => string | null;

/** A PlacementChooser that may carry an indexed path; the store uses it when present. */
export type IndexedChooser = PlacementChooser & { readonly indexed?: IndexedChoice };

/** Attaches an indexed path to a chooser. Both must take the same decisions (a property test checks ours). */
export function withIndexedPath(choose: PlacementChooser, indexed: IndexedChoice): IndexedChooser {
  return Object.assign((candidates: readonly PlacementCandidate[], request: NewSession) => choose(candidates, request), { indexed });
}

export function placementClass(server: ServerRecord): string {
  return server.autoscale === null ? 'fixed' : `autoscale:${server.autoscale}`;
}

interface Entry extends PlacementCandidate {
  cls: string;
  /** The bucket (load) the entry sits in, or -1 (full, docker agent). */
  bucket: number;
  /**
   * Running sessions counted but not loaded: a server of a server pool that
   * was full when the index was built (its sessions matter to no placement
   * until a slot frees). Such an entry is invisible to choosers; when one of
   * its sessions ends it is marked stale and read again before the next pick.
   */
  opaque: number;
}

function olderFirst(a: ServerRecord, b: ServerRecord): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Index of the first element not before `server` (binary search). */
function lowerBound(list: readonly Entry[], server: ServerRecord): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = list[mid];
    if (e !== undefined && olderFirst(e.server, server) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class ClassBuckets {
  /** buckets[load] = servers with that many running sessions and a free slot, oldest first. */
  readonly buckets: Entry[][] = [];

  insert(e: Entry, load: number): void {
    let list = this.buckets[load];
    if (!list) {
      for (let i = this.buckets.length; i <= load; i++) this.buckets[i] = [];
      list = this.buckets[load] ?? [];
    }
    list.splice(lowerBound(list, e.server), 0, e);
    e.bucket = load;
  }

  remove(e: Entry): void {
    const list = this.buckets[e.bucket];
    if (list) {
      const i = lowerBound(list, e.server);
      if (list[i] === e) list.splice(i, 1);
      else {
        const j = list.indexOf(e);
        if (j >= 0) list.splice(j, 1);
      }
    }
    e.bucket = -1;
  }

  *walk(): Generator<Entry> {
    for (const list of this.buckets) for (const e of list) yield e;
  }
}

export class PoolCapacityIndex implements PoolCapacityView {
  readonly pool: string;
  /** The database's server_version this index reflects (servers written after it are read again). */
  version: number;
  /** When the last full build was read (caller's clock, ms). */
  builtAt: number;
  /** A server write newer than `version` is known to exist: the store catches up before the next pick. */
  behind = false;
  readonly #entries = new Map<string, Entry>();
  readonly #classes = new Map<string, ClassBuckets>();
  /** session id → server id, for the sessions counted here. */
  readonly #sessionServer = new Map<string, string>();
  /** user → the server of each of their running non-staged sessions (one entry per session; arrays: most users have one). */
  readonly #users = new Map<string, string[]>();
  /** Sessions placed by this process whose transaction has not committed yet. */
  readonly #pending = new Map<string, SessionRecord>();
  /** Opaque servers that lost a session: read again before the next pick. */
  readonly #stale = new Set<string>();

  constructor(pool: string, version: number, builtAt: number) {
    this.pool = pool;
    this.version = version;
    this.builtAt = builtAt;
  }

  get size(): number {
    return this.#entries.size;
  }

  classes(): readonly string[] {
    return [...this.#classes.keys()];
  }

  *withRoom(cls: string): Generator<PlacementCandidate> {
    const buckets = this.#classes.get(cls);
    if (buckets) yield* buckets.walk();
  }

  ofUser(user: string): PlacementCandidate[] {
    const servers = this.#users.get(user);
    if (!servers) return [];
    const out: PlacementCandidate[] = [];
    for (const id of new Set(servers)) {
      const e = this.#entries.get(id);
      if (e && e.opaque === 0) out.push(e);
    }
    return out;
  }

  all(): PlacementCandidate[] {
    const out: PlacementCandidate[] = [];
    for (const e of this.#entries.values()) if (e.opaque === 0 && (e.server.capacity !== null || e.sessions.length < e.server.max_sessions)) out.push(e);
    return out.sort((a, b) => olderFirst(a.server, b.server));
  }

  get(serverId: string): PlacementCandidate | undefined {
    const e = this.#entries.get(serverId);
    return e && e.opaque === 0 ? e : undefined;
  }

  /** Every session id counted on a server here (tests, diagnostics). */
  sessionIds(serverId: string): string[] {
    return this.#entries.get(serverId)?.sessions.map((s) => s.id) ?? [];
  }

  #rebucket(e: Entry): void {
    let buckets = this.#classes.get(e.cls);
    if (e.bucket >= 0) buckets?.remove(e);
    if (e.opaque > 0 || e.server.capacity !== null || e.sessions.length >= e.server.max_sessions) return;
    if (!buckets) {
      buckets = new ClassBuckets();
      this.#classes.set(e.cls, buckets);
    }
    buckets.insert(e, e.sessions.length);
  }

  #countUser(session: SessionRecord, serverId: string, delta: 1 | -1): void {
    if (session.staged) return;
    const servers = this.#users.get(session.user);
    if (delta > 0) {
      if (servers) servers.push(serverId);
      else this.#users.set(session.user, [serverId]);
      return;
    }
    if (!servers) return;
    const i = servers.indexOf(serverId);
    if (i >= 0) servers.splice(i, 1);
    if (servers.length === 0) this.#users.delete(session.user);
  }

  #detachSessions(e: Entry): void {
    for (const s of e.sessions) {
      this.#sessionServer.delete(s.id);
      this.#countUser(s, e.server.id, -1);
    }
  }

  /**
   * Puts a server as the database holds it, with its running sessions (read
   * together). A server that is not usable leaves the index. Sessions this
   * process is still committing on it are kept.
   */
  setServer(server: ServerRecord, sessions: readonly SessionRecord[]): void {
    this.#stale.delete(server.id);
    const old = this.#entries.get(server.id);
    if (old) {
      this.#detachSessions(old);
      if (old.bucket >= 0) this.#classes.get(old.cls)?.remove(old);
      this.#entries.delete(server.id);
    }
    if (server.pool !== this.pool || !isUsable(server)) return;
    const list = sessions.filter((s) => s.status === 'running' && s.server_id === server.id && !this.#pending.has(s.id));
    for (const p of this.#pending.values()) if (p.server_id === server.id) list.push(p);
    // Frozen in place: the store hands over records it read for the index alone.
    const e: Entry = { server: Object.freeze(server), sessions: list, cls: placementClass(server), bucket: -1, opaque: 0 };
    for (const s of list) {
      this.#sessionServer.set(s.id, server.id);
      this.#countUser(s, server.id, 1);
    }
    this.#entries.set(server.id, e);
    this.#rebucket(e);
  }

  /** A usable server of a server pool known to be full: `count` running sessions, not loaded (see Entry.opaque). */
  setFullServer(server: ServerRecord, count: number): void {
    this.setServer(server, []);
    const e = this.#entries.get(server.id);
    if (!e || count <= 0) return;
    e.opaque = count;
    this.#stale.delete(server.id);
    this.#rebucket(e);
  }

  /** After a commit: a session stopped running (ended, failed). */
  sessionEnded(session: SessionRecord): void {
    if (this.#sessionServer.has(session.id) || this.#pending.has(session.id)) {
      this.removeSession(session.id);
      return;
    }
    const e = session.server_id === null ? undefined : this.#entries.get(session.server_id);
    if (!e || e.opaque === 0) return;
    e.opaque--;
    this.#stale.add(e.server.id);
  }

  /** Servers whose sessions must be read again before they can be offered (a slot freed on an opaque one). */
  staleServers(): string[] {
    return [...this.#stale];
  }

  removeServer(id: string): void {
    this.#stale.delete(id);
    const e = this.#entries.get(id);
    if (!e) return;
    this.#detachSessions(e);
    if (e.bucket >= 0) this.#classes.get(e.cls)?.remove(e);
    this.#entries.delete(id);
  }

  /** A running session on one of the pool's servers (committed, or seen in the database). */
  addSession(session: SessionRecord): void {
    if (session.status !== 'running' || session.server_id === null || this.#sessionServer.has(session.id)) return;
    const e = this.#entries.get(session.server_id);
    if (!e) return;
    e.sessions.push(session);
    this.#sessionServer.set(session.id, e.server.id);
    this.#countUser(session, e.server.id, 1);
    this.#rebucket(e);
  }

  /** A session that stopped counting (ended, failed, moved). */
  removeSession(sessionId: string): void {
    const serverId = this.#sessionServer.get(sessionId);
    this.#pending.delete(sessionId);
    if (serverId === undefined) return;
    this.#sessionServer.delete(sessionId);
    const e = this.#entries.get(serverId);
    if (!e) return;
    const i = e.sessions.findIndex((s) => s.id === sessionId);
    if (i < 0) return;
    const [session] = e.sessions.splice(i, 1);
    if (session) this.#countUser(session, serverId, -1);
    this.#rebucket(e);
  }

  /** Counts a session before its transaction commits, so concurrent requests in this process spread out. */
  reserve(session: SessionRecord): void {
    this.#pending.set(session.id, session);
    this.addSession(session);
  }

  /** The reservation committed: the session stays counted. */
  commit(sessionId: string): void {
    this.#pending.delete(sessionId);
  }

  /** The reservation did not commit. */
  release(sessionId: string): void {
    this.removeSession(sessionId);
  }

  /** Reservations in flight (carried over when the index is rebuilt). */
  pending(): SessionRecord[] {
    return [...this.#pending.values()];
  }
}
