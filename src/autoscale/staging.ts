// Staging (docker agent pools): keep `num_sessions` pre-created, unassigned
// sessions per staging config, on the agents of the autoscale config it names.
//
// Each round, for every staging config of an autoscale config:
// - config inactive (schedule or disabled): every unused staged session is removed;
// - a staged session on an agent that no longer takes sessions (draining,
//   failed, gone, destroying) is removed;
// - a staged session older than `expiration` hours (default 24) is removed
//   and, like any missing one, created again;
// - more than num_sessions: the oldest excess is removed;
// - fewer: new ones are placed on running agents with room (the agent with the
//   most free cores, then memory, then the oldest). What does not fit now is
//   still counted as demand, so sizing creates agents for it.
import type { Config, Pool, StagingConfig } from '../config/model.ts';
import type { Resources } from '../model/compute.ts';
import type { ServerView, StagedSessionView, StagingDecision } from './types.ts';
import { formatDuration, plural } from './format.ts';
import { addInto, fits, workspaceResources } from './resources.ts';

const DEFAULT_EXPIRATION_HOURS = 24;

export interface MissingStaged {
  staging: StagingConfig;
  count: number;
  /** What one session of this staging config needs. */
  each: Resources;
}

export interface StagingReview {
  /** unstage decisions, in staging-config order then oldest first. */
  decisions: StagingDecision[];
  missing: MissingStaged[];
  /** Resources freed on usable agents by this round's unstaging, per agent id. */
  credits: Map<string, Resources>;
}

export interface StagingReviewInput {
  config: Config;
  pool: Pool;
  stagingConfigs: readonly StagingConfig[];
  /** Staged sessions of the pool by staging config name, oldest first. */
  stagedByName: ReadonlyMap<string, readonly StagedSessionView[]>;
  active: boolean;
  inactiveWhy: string;
  usableIds: ReadonlySet<string>;
  now: number;
}

export function reviewStaging(input: StagingReviewInput): StagingReview {
  const review: StagingReview = { decisions: [], missing: [], credits: new Map() };
  for (const staging of input.stagingConfigs) {
    const each = workspaceResources(input.config, staging.workspace);
    const unstage = (session: StagedSessionView, reason: string): void => {
      review.decisions.push({ action: 'unstage', pool: input.pool.name, staging: staging.name, session_id: session.id, reason });
      if (!input.usableIds.has(session.server_id)) return;
      let credit = review.credits.get(session.server_id);
      if (!credit) review.credits.set(session.server_id, (credit = { cores: 0, memory_mb: 0, gpus: 0 }));
      addInto(credit, each);
    };
    const sessions = input.stagedByName.get(staging.name) ?? [];
    if (!input.active) {
      for (const session of sessions) unstage(session, `${input.inactiveWhy}: unused staged session removed`);
      continue;
    }
    const expirationMs = (staging.expiration ?? DEFAULT_EXPIRATION_HOURS) * 3_600_000;
    const live: StagedSessionView[] = [];
    for (const session of sessions) {
      const age = input.now - Date.parse(session.created_at);
      if (!input.usableIds.has(session.server_id)) unstage(session, 'its agent no longer takes sessions; staged session removed');
      else if (age >= expirationMs)
        unstage(session, `expired: staged ${formatDuration(age)} ago, expiration is ${formatDuration(expirationMs)}; it is created again`);
      else live.push(session);
    }
    const excess = live.length - staging.num_sessions;
    for (let i = 0; i < excess; i++) {
      const session = live[i];
      if (session) unstage(session, `excess: ${live.length} staged, num_sessions is ${staging.num_sessions}`);
    }
    const count = staging.num_sessions - Math.min(live.length, staging.num_sessions);
    if (count > 0) review.missing.push({ staging, count, each });
  }
  return review;
}

/** Places the missing staged sessions on running agents with room; `free` (per agent id) is updated as sessions are placed. */
export function placeStaging(pool: Pool, missing: readonly MissingStaged[], agents: readonly ServerView[], free: Map<string, Resources>): StagingDecision[] {
  const decisions: StagingDecision[] = [];
  const running = agents.filter((a) => a.status === 'running'); // oldest first (input order)
  for (const item of missing) {
    const target = item.staging.num_sessions;
    for (let placed = 0; placed < item.count; placed++) {
      let best: ServerView | undefined;
      let bestFree: Resources | undefined;
      for (const agent of running) {
        const room = free.get(agent.id);
        if (!room || !fits(item.each, room)) continue;
        if (!bestFree || room.cores > bestFree.cores || (room.cores === bestFree.cores && room.memory_mb > bestFree.memory_mb)) {
          best = agent;
          bestFree = room;
        }
      }
      if (!best || !bestFree) break; // capacity is on its way (sizing counted this demand)
      bestFree.cores -= item.each.cores;
      bestFree.memory_mb -= item.each.memory_mb;
      bestFree.gpus -= item.each.gpus;
      const have = target - item.count + placed;
      decisions.push({
        action: 'stage',
        pool: pool.name,
        staging: item.staging.name,
        server_id: best.id,
        reason: `staging: ${have} of ${plural(target, 'staged session')} present (num_sessions)`,
      });
    }
  }
  return decisions;
}
