// Builders and a tiny simulator for tests of the decision core (also usable by
// other areas' tests). Not used by production code.
import type { AutoscaleConfig, Config, Pool, VmProvider, Workspace } from '../config/model.ts';
import type { Resources } from '../model/compute.ts';
import type { DecisionInput, DecisionResult, ServerView } from './types.ts';
import { agentCapacity, slotsPerServer } from './settings.ts';
import { workspaceResources } from './resources.ts';
import { findAutoscale, findPool, findPoolStaging } from '../config/lookup.ts';

export function localProvider(name: string, max_instances: number, extra: Partial<VmProvider> = {}): VmProvider {
  return { kind: 'VmProvider', name, type: 'local', max_instances, startup_script: 'true', ...extra } as VmProvider;
}

export function makeConfig(parts: { pools: Pool[]; vmProviders?: VmProvider[]; workspaces?: Workspace[] }): Config {
  return {
    dir: '/config',
    settings: { kind: 'Settings' },
    zones: [],
    vmProviders: parts.vmProviders ?? [localProvider('local', 100)],
    dnsProviders: [],
    ldapConfigs: [],
    workspaces: parts.workspaces ?? [],
    pools: parts.pools,
    sources: {},
  };
}

export function serverPool(name: string, autoscale: Partial<AutoscaleConfig>[]): Pool {
  return {
    kind: 'Pool',
    name,
    type: 'server',
    autoscale: autoscale.map((a, i) => ({ name: `as${i}`, vm_provider: 'local', ...a })),
  };
}

export function dockerPool(name: string, autoscale: Partial<AutoscaleConfig>[], staging: Pool['staging'] = []): Pool {
  return {
    kind: 'Pool',
    name,
    type: 'docker_agent',
    autoscale: autoscale.map((a, i) => ({ name: `as${i}`, vm_provider: 'local', ...a })),
    staging,
  };
}

let counter = 0;
export function server(over: Partial<ServerView> & Pick<ServerView, 'pool' | 'autoscale'>): ServerView {
  counter++;
  return {
    id: `srv-${String(counter).padStart(5, '0')}`,
    vm_provider: 'local',
    status: 'running',
    created_at: '2024-01-01T00:00:00.000Z',
    active_sessions: 0,
    max_sessions: 1,
    capacity: null,
    used: null,
    gone: false,
    ...over,
  };
}

export function input(config: Config, over: Partial<DecisionInput> = {}): DecisionInput {
  return { config, servers: [], queued: [], staged: [], history: {}, providerCapacity: {}, now: '2024-01-10T12:00:00.000Z', ...over };
}

/**
 * Applies decisions as if everything happened instantly: destroyed servers
 * disappear, drained ones become draining, creates appear as running servers
 * of their config (id `<idPrefix>-N`), sized like the config says. Staging
 * decisions are applied only with `withStaging` (a staged session is a
 * session on its agent: active_sessions and used change with it).
 */
export function applyInstantly(before: DecisionInput, result: DecisionResult, idPrefix = 'new', withStaging = false): DecisionInput {
  const destroyed = new Set(result.decisions.filter((d) => d.action === 'destroy').map((d) => d.server_id));
  const drained = new Set(result.decisions.filter((d) => d.action === 'drain').map((d) => d.server_id));
  const servers: ServerView[] = [];
  for (const s of before.servers) {
    if (destroyed.has(s.id)) continue;
    servers.push(drained.has(s.id) ? { ...s, status: 'draining' } : s);
  }
  let n = 0;
  for (const d of result.decisions) {
    if (d.action !== 'create') continue;
    const pool = findPool(before.config, d.pool);
    const autoscale = pool ? findAutoscale(pool, d.autoscale) : undefined;
    if (!pool || !autoscale) throw new Error(`create for unknown config ${d.pool}/${d.autoscale}`);
    const cap = agentCapacity(before.config, autoscale, before.providerCapacity);
    const capacity: Resources | null = pool.type === 'docker_agent' ? { cores: cap.cores ?? 0, memory_mb: cap.memory_mb ?? 0, gpus: cap.gpus ?? 0 } : null;
    servers.push({
      id: `${idPrefix}-${String(n++).padStart(5, '0')}`,
      pool: d.pool,
      autoscale: d.autoscale,
      vm_provider: autoscale.vm_provider,
      status: 'running',
      created_at: before.now,
      active_sessions: 0,
      max_sessions: pool.type === 'server' ? slotsPerServer(autoscale) : 0,
      capacity,
      used: pool.type === 'docker_agent' ? { cores: 0, memory_mb: 0, gpus: 0 } : null,
      gone: false,
    });
  }
  if (!withStaging) return { ...before, servers };
  const byId = new Map(servers.map((s, i) => [s.id, i]));
  const staged = [...before.staged];
  const adjust = (serverId: string, staging: string, pool: string, sign: 1 | -1): void => {
    const index = byId.get(serverId);
    const current = index === undefined ? undefined : servers[index];
    if (index === undefined || !current) return;
    const st = findPoolStaging(before.config, pool, staging);
    const each = workspaceResources(before.config, st?.workspace ?? null);
    const used = current.used ?? { cores: 0, memory_mb: 0, gpus: 0 };
    servers[index] = {
      ...current,
      active_sessions: Math.max(0, current.active_sessions + sign),
      used: { cores: used.cores + sign * each.cores, memory_mb: used.memory_mb + sign * each.memory_mb, gpus: used.gpus + sign * each.gpus },
    };
  };
  let m = 0;
  for (const d of result.staging) {
    if (d.action === 'unstage') {
      const at = staged.findIndex((x) => x.id === d.session_id);
      const session = staged[at];
      if (!session) continue;
      staged.splice(at, 1);
      adjust(session.server_id, session.staging, session.pool, -1);
    } else if (d.server_id) {
      staged.push({ id: `${idPrefix}-staged-${m++}`, pool: d.pool, staging: d.staging, server_id: d.server_id, created_at: before.now });
      adjust(d.server_id, d.staging, d.pool, 1);
    }
  }
  return { ...before, servers, staged };
}
