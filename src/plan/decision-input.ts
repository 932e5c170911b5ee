// Turns state + observations into what the decision core reads. Pure.
//
// - Every autoscaled server record becomes a ServerView; `gone` is true when
//   its VM's provider listing worked and the VM is missing or terminated, or
//   when the record has neither a VM resource nor an unfinished create (a
//   leftover), so the decision core neither counts it as capacity nor keeps it.
//   An unfinished create not listed yet but younger than the intent grace is
//   not gone (the provider may list it late): no second VM is decided.
// - Session counts: running sessions and sessions queued for that server.
// - Docker agents: `used` sums the resources of their running sessions.
import type { DecisionInput, QueuedRequest, ServerView, StagedSessionView } from '../autoscale/types.ts';
import type { Config } from '../config/model.ts';
import type { Resources } from '../model/compute.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { Observed } from '../model/observed.ts';
import { intentGraceFor, withinIntentGrace } from './intent-grace.ts';
import { isStopped, vmPresence } from './vm-presence.ts';
import { findPoolAutoscale } from '../config/lookup.ts';
import { intentPayloadView } from '../model/intent-payload.ts';

export interface DecisionInputArgs {
  config: Config;
  snapshot: Snapshot;
  /** null: not refreshed (`--refresh=false`): state is taken as the truth. */
  observed: Observed | null;
  /** Per VmProvider name: what one VM offers, where the provider knows (docker agent sizing). */
  providerCapacity?: Readonly<Record<string, Resources>>;
  /** ISO instant decisions are for. */
  now: string;
  /** Non-reusable servers: sessions ever placed on them (ended ones included), by server id. */
  sessionsStarted?: Readonly<Record<string, number>>;
  /** ISO instant the providers were observed (the real clock, not `--at`); default `now`. Judges intent grace. */
  observedAt?: string;
  /** How long an unfinished create whose VM is not listed yet still counts (default per provider: intentGraceFor). */
  intentGraceMs?: number;
}

function addResources(a: Resources, b: Resources): Resources {
  return { cores: a.cores + b.cores, memory_mb: a.memory_mb + b.memory_mb, gpus: a.gpus + b.gpus };
}

/** The VmProvider config an autoscale config uses, by pool/autoscale name. */
function configuredVmProvider(config: Config, pool: string, autoscale: string): string | null {
  return findPoolAutoscale(config, pool, autoscale)?.vm_provider ?? null;
}

export function buildDecisionInput(args: DecisionInputArgs): DecisionInput {
  const { config, snapshot, observed, now } = args;
  const resources = new Map(snapshot.resources.map((r) => [r.address, r]));
  const intents = new Map(snapshot.intents.map((i) => [i.address, i]));

  const sessionsByServer = new Map<string, { count: number; used: Resources | null }>();
  const queued: QueuedRequest[] = [];
  const staged: StagedSessionView[] = [];
  for (const s of snapshot.sessions) {
    if (s.status === 'queued' && s.server_id === null) {
      // A targeted request waits for its own server (already coming up): no demand for a new one.
      if (s.target_server_id) continue;
      queued.push({ id: s.id, pool: s.pool, workspace: s.workspace, created_at: s.created_at });
      continue;
    }
    if ((s.status !== 'running' && s.status !== 'queued') || s.server_id === null) continue;
    const entry = sessionsByServer.get(s.server_id) ?? { count: 0, used: null };
    entry.count++;
    if (s.resources) entry.used = addResources(entry.used ?? { cores: 0, memory_mb: 0, gpus: 0 }, s.resources);
    sessionsByServer.set(s.server_id, entry);
    if (s.staged && s.status === 'running' && s.staging !== null) {
      staged.push({ id: s.id, pool: s.pool, staging: s.staging, server_id: s.server_id, created_at: s.created_at });
    }
  }

  const servers: ServerView[] = [];
  for (const server of snapshot.servers) {
    if (server.autoscale === null) continue;
    const resource = resources.get(server.address);
    const intent = intents.get(server.address);
    const provider = resource?.provider ?? intentPayloadView(intent?.payload).provider ?? configuredVmProvider(config, server.pool, server.autoscale) ?? '';
    let gone: boolean;
    let stopped = false;
    if (resource) {
      const presence = vmPresence(observed, provider, server.id);
      gone = presence.kind === 'gone';
      stopped = presence.kind === 'present' && isStopped(presence.vm.state);
    } else if (intent) {
      // An unfinished create: there if the provider shows what it made (it will be adopted),
      // or while it is young enough that the provider may not list it yet (intent-grace.ts).
      gone =
        vmPresence(observed, provider, server.id, intent.id).kind === 'gone' &&
        !withinIntentGrace(intent, args.observedAt ?? now, intentGraceFor(config, provider, args.intentGraceMs));
    } else {
      gone = true;
    }
    const sessions = sessionsByServer.get(server.id);
    servers.push({
      id: server.id,
      pool: server.pool,
      autoscale: server.autoscale,
      vm_provider: provider,
      // A VM stopped at the provider serves nobody: the autoscaler treats it as failed.
      status: stopped && server.status !== 'draining' && server.status !== 'destroying' ? 'failed' : server.status,
      created_at: server.created_at,
      active_sessions: sessions?.count ?? 0,
      max_sessions: server.max_sessions,
      capacity: server.capacity,
      used: server.capacity ? (sessions?.used ?? { cores: 0, memory_mb: 0, gpus: 0 }) : null,
      gone,
      ...(stopped ? { stopped: true } : {}),
      reusable: server.reusable,
      ...(args.sessionsStarted?.[server.id] !== undefined ? { sessions_started: args.sessionsStarted[server.id] } : {}),
    });
  }
  servers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  queued.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  staged.sort((a, b) => (a.id < b.id ? -1 : 1));

  return {
    config,
    servers,
    queued,
    staged,
    history: snapshot.history,
    providerCapacity: args.providerCapacity ?? {},
    now,
    // Check-in timeouts are judged on the real clock, also when `now` is a what-if `--at`.
    ...(args.observedAt !== undefined && args.observedAt !== now ? { clock: args.observedAt } : {}),
  };
}
