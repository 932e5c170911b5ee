// Session placement: which server (or docker agent) of a pool gets a new
// session. Pure: the store calls the chooser with its capacity index of the
// pool (chooseIndexed, O(log n)) or the candidates from it (choosePlacement),
// then re-checks the chosen server's room in the database in the transaction
// that records the session, and asks again if another process filled it
// (src/state/sql-allocation.ts).
//
// Rules (server pools):
// - usable servers only: enabled and `running` (the same rule the store
//   enforces in its transaction). With `require_checkin: true` (the default)
//   a server becomes running when its startup script checks in; with
//   `require_checkin: false` apply marks it running as soon as its VM exists.
//   provisioning, starting, failed, draining and destroying servers never
//   get sessions.
// - a user who already has a session on a usable server with a free slot goes
//   back to that server;
// - otherwise the server with the fewest sessions and a free slot; ties go to
//   the oldest server (created_at, then id), so the pool fills evenly and
//   the newest servers stay idle longest (they are the ones scaled down).
// Docker agent pools: an agent fits when its free cores, memory and GPUs
// (capacity minus what its sessions, staged ones included, use) cover the
// session's workspace; among those the one with the most free cores (then
// memory, GPUs, fewest sessions, oldest). Agents of an inactive autoscale
// config get no new sessions (upstream behaviour for scheduled-off configs).
// Staged sessions are handed out by the caller (claimStagedSession) before
// this chooser is asked for a fresh slot.
import type { Config } from '../config/model.ts';
import { type PoolCapacityView, withIndexedPath } from '../state/capacity-index.ts';
import type { NewSession, PlacementCandidate, PlacementChooser, Resources, ServerRecord, SessionRecord } from '../state/types.ts';
import { findPool } from '../config/lookup.ts';

export interface PlacementRules {
  poolType: 'server' | 'docker_agent';
  /** False for servers of an autoscale config that is disabled or outside its schedule. */
  autoscaleActive(server: ServerRecord): boolean;
  /** Zone of a server, when known. */
  zoneOf(server: ServerRecord): string | null;
}

/** Sessions that occupy a slot or resources on a server. */
export function occupying(sessions: readonly SessionRecord[]): SessionRecord[] {
  return sessions.filter((s) => s.status === 'running' || s.status === 'queued');
}

/** Whether a server may be given new sessions at all (status, enabled, schedule). */
export function isUsable(server: ServerRecord, rules: PlacementRules): boolean {
  if (!server.enabled) return false;
  if (server.status !== 'running') return false;
  if (rules.poolType === 'docker_agent' && !rules.autoscaleActive(server)) return false;
  return true;
}

/** What an agent's sessions use. */
export function usedResources(sessions: readonly SessionRecord[]): Resources {
  const used: Resources = { cores: 0, memory_mb: 0, gpus: 0 };
  for (const s of occupying(sessions)) {
    if (!s.resources) continue;
    used.cores += s.resources.cores;
    used.memory_mb += s.resources.memory_mb;
    used.gpus += s.resources.gpus;
  }
  return used;
}

export function freeResources(candidate: PlacementCandidate): Resources {
  const cap = candidate.server.capacity ?? { cores: 0, memory_mb: 0, gpus: 0 };
  const used = usedResources(candidate.sessions);
  return { cores: cap.cores - used.cores, memory_mb: cap.memory_mb - used.memory_mb, gpus: cap.gpus - used.gpus };
}

function fits(free: Resources, need: Resources): boolean {
  return free.cores >= need.cores && free.memory_mb >= need.memory_mb && free.gpus >= need.gpus;
}

function hasSlot(candidate: PlacementCandidate): boolean {
  return occupying(candidate.sessions).length < candidate.server.max_sessions;
}

function olderFirst(a: ServerRecord, b: ServerRecord): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The placement decision itself; returns the chosen server id or null when nothing has room. */
export function choosePlacement(all: readonly PlacementCandidate[], request: NewSession, rules: PlacementRules): string | null {
  // A targeted request (server_id) may go to its server only.
  const target = request.target_server_id ?? null;
  const candidates = target === null ? all : all.filter((c) => c.server.id === target);
  const eligible = candidates.filter(
    (c) => c.server.pool === request.pool && isUsable(c.server, rules) && (request.zone === null || rules.zoneOf(c.server) === request.zone),
  );
  if (rules.poolType === 'docker_agent') {
    const need = request.resources ?? { cores: 0, memory_mb: 0, gpus: 0 };
    const fitting = eligible
      .map((c) => ({ c, free: freeResources(c), count: occupying(c.sessions).length }))
      .filter((x) => x.c.server.capacity !== null && fits(x.free, need));
    fitting.sort(
      (a, b) =>
        b.free.cores - a.free.cores ||
        b.free.memory_mb - a.free.memory_mb ||
        b.free.gpus - a.free.gpus ||
        a.count - b.count ||
        olderFirst(a.c.server, b.c.server),
    );
    return fitting[0]?.c.server.id ?? null;
  }
  const withRoom = eligible.filter(hasSlot);
  const byLoad = (a: PlacementCandidate, b: PlacementCandidate): number =>
    occupying(a.sessions).length - occupying(b.sessions).length || olderFirst(a.server, b.server);
  const sticky = withRoom.filter((c) => occupying(c.sessions).some((s) => !s.staged && s.user === request.user));
  if (sticky.length > 0) return [...sticky].sort(byLoad)[0]?.server.id ?? null;
  return [...withRoom].sort(byLoad)[0]?.server.id ?? null;
}

/**
 * The same decision as choosePlacement, taken from the store's capacity index
 * without looking at every server: the user's servers for affinity, then the
 * least loaded server with room of each placement class (the servers of one
 * autoscale config share zone and schedule, so the first of a class decides
 * for all of it; fixed servers have a zone each and are walked until one
 * fits). Docker agents and targeted requests go through choosePlacement on
 * the few candidates concerned. A property test holds the two equal.
 */
export function chooseIndexed(view: PoolCapacityView, request: NewSession, rules: PlacementRules): string | null {
  const target = request.target_server_id ?? null;
  if (target !== null) {
    const c = view.get(target);
    return c ? choosePlacement([c], request, rules) : null;
  }
  if (rules.poolType === 'docker_agent') return choosePlacement(view.all(), request, rules);
  const eligible = (c: PlacementCandidate): boolean =>
    c.server.pool === request.pool && isUsable(c.server, rules) && (request.zone === null || rules.zoneOf(c.server) === request.zone);
  const byLoad = (a: PlacementCandidate, b: PlacementCandidate): number =>
    occupying(a.sessions).length - occupying(b.sessions).length || olderFirst(a.server, b.server);
  const sticky = view.ofUser(request.user).filter((c) => eligible(c) && hasSlot(c) && occupying(c.sessions).some((s) => !s.staged && s.user === request.user));
  if (sticky.length > 0) return [...sticky].sort(byLoad)[0]?.server.id ?? null;
  let best: PlacementCandidate | undefined;
  for (const cls of view.classes()) {
    for (const c of view.withRoom(cls)) {
      if (!eligible(c) || !hasSlot(c)) {
        if (cls === 'fixed') continue;
        break;
      }
      if (best === undefined || byLoad(c, best) < 0) best = c;
      break;
    }
  }
  return best?.server.id ?? null;
}

/**
 * Placement rules derived from the configuration. `isActive(pool, autoscale)`
 * says whether an autoscale config is active now (schedule and enabled); the
 * caller evaluates schedules, keeping this module free of clocks.
 */
/** What placement needs of a pool's configuration, computed once per loaded config (a pool may list thousands of fixed servers; requests must not pay for that). */
interface PoolShape {
  poolDef: ReturnType<typeof findPool>;
  autoscales: Map<string, NonNullable<NonNullable<ReturnType<typeof findPool>>['autoscale']>[number]>;
  fixedZones: Map<string, string | null>;
}
const shapes = new WeakMap<Config, Map<string, PoolShape>>();

function poolShape(config: Config, pool: string): PoolShape {
  let byPool = shapes.get(config);
  if (!byPool) {
    byPool = new Map();
    shapes.set(config, byPool);
  }
  let shape = byPool.get(pool);
  if (!shape) {
    const poolDef = findPool(config, pool);
    shape = {
      poolDef,
      autoscales: new Map((poolDef?.autoscale ?? []).map((a) => [a.name, a])),
      fixedZones: new Map([...(poolDef?.servers ?? []), ...(poolDef?.agents ?? [])].map((s) => [`fixed.${pool}.${s.name}`, s.zone ?? null])),
    };
    byPool.set(pool, shape);
  }
  return shape;
}

export function rulesFromConfig(config: Config, pool: string, isActive: (pool: string, autoscale: string) => boolean): PlacementRules {
  const { poolDef, autoscales, fixedZones } = poolShape(config, pool);
  return {
    poolType: poolDef?.type ?? 'server',
    autoscaleActive: (server) => {
      if (server.autoscale === null) return true;
      const a = autoscales.get(server.autoscale);
      if (!a || a.enabled === false) return false;
      return isActive(pool, server.autoscale);
    },
    zoneOf: (server) => {
      if (server.autoscale === null) return fixedZones.get(server.id) ?? null;
      return autoscales.get(server.autoscale)?.zone ?? null;
    },
  };
}

/** A PlacementChooser for the store, built from the configuration. */
export function createPlacementChooser(config: Config, isActive: (pool: string, autoscale: string) => boolean): PlacementChooser {
  const cache = new Map<string, PlacementRules>();
  const rulesFor = (pool: string): PlacementRules => {
    let rules = cache.get(pool);
    if (!rules) {
      rules = rulesFromConfig(config, pool, isActive);
      cache.set(pool, rules);
    }
    return rules;
  };
  return withIndexedPath(
    (candidates, request) => choosePlacement(candidates, request, rulesFor(request.pool)),
    (view, request) => chooseIndexed(view, request, rulesFor(request.pool)),
  );
}
