// Per-server lifecycle rules of a configured autoscale config, independent of
// demand: what is broken or finished is destroyed (or drained while it still
// has sessions), and what remains is either usable capacity or, when the
// config is inactive, idle capacity to scale down to zero.
//
// Invariant: a server with an active session is never destroyed here; it is
// drained instead (no new sessions) and destroyed by a later round once empty.
import type { AutoscaleConfig, Pool } from '../config/model.ts';
import type { Decision, DecisionCause, ServerView } from './types.ts';
import { makeDecision } from './decision.ts';
import { formatDuration, plural } from './format.ts';
import { configReusable } from './settings.ts';

export interface Lifecycle {
  /** Healthy provisioning/starting/running servers: capacity that serves or will serve sessions (oldest first). */
  usable: ServerView[];
  /** Inactive config: idle servers to scale down to zero (subject to downscale_backoff). */
  idleWhileInactive: ServerView[];
  /** Destroys and drains for broken, finished or (inactive config) busy servers, in server order. */
  decisions: Decision[];
}

export interface LifecycleInput {
  pool: Pool;
  autoscale: AutoscaleConfig;
  /** The config's servers, oldest first. */
  servers: readonly ServerView[];
  /** false: schedule inactive or config disabled. */
  active: boolean;
  /** Why inactive, for reasons: "schedule inactive" or "config disabled". */
  inactiveWhy: string;
  now: number;
  /** The real clock (epoch ms), which check-in timeouts are judged by even in a what-if plan; default `now`. */
  clockNow?: number;
  checkinTimeoutMs: number;
  /** Staged (unused) sessions per server id: they are removed when the config is inactive, so they do not keep an agent busy. */
  stagedOn: ReadonlyMap<string, number>;
}

/**
 * How a failed decision names a VM stopped (by hand, by the provider) outside poolform.
 * Not a failed start: it is replaced, but it does not back off further creates (history.ts).
 */
export const STOPPED_AT_PROVIDER = 'the VM is stopped at the provider';

/** Whether `reason` is that of a VM stopped outside poolform (see STOPPED_AT_PROVIDER). */
export function isStoppedOutside(reason: string): boolean {
  return reason.startsWith(`failed: ${STOPPED_AT_PROVIDER}`);
}

/** True when the server is a non-reusable server whose session has ended. */
export function usedUp(server: ServerView, autoscale: AutoscaleConfig): boolean {
  const reusable = server.reusable ?? configReusable(autoscale);
  return !reusable && (server.sessions_started ?? server.active_sessions) > 0 && server.active_sessions === 0;
}

export function classifyServers(input: LifecycleInput): Lifecycle {
  const { pool, autoscale, now } = input;
  const result: Lifecycle = { usable: [], idleWhileInactive: [], decisions: [] };
  const emit = (server: ServerView, action: 'destroy' | 'drain', cause: DecisionCause, reason: string): void => {
    result.decisions.push(makeDecision({ action, pool: pool.name, autoscale: autoscale.name, server_id: server.id, reason }, cause));
  };
  for (const server of input.servers) {
    const sessions = server.active_sessions;
    const busy = `${plural(sessions, 'session')} still running`;
    if (server.gone) {
      if (sessions === 0) emit(server, 'destroy', 'gone', 'gone: the provider no longer has this server; removing it');
      else if (server.status !== 'draining')
        emit(server, 'drain', 'gone', `gone: the provider no longer has this server but ${busy} on it; draining until they end`);
      continue;
    }
    switch (server.status) {
      case 'destroying':
        continue; // a delete is in flight; it still counts toward max_instances
      case 'failed': {
        const what = server.stopped ? STOPPED_AT_PROVIDER : 'the server reported failure';
        if (sessions === 0) emit(server, 'destroy', 'failed', `failed: ${what}; destroying it (replaced as the minimum requires)`);
        else emit(server, 'drain', 'failed', `failed: ${what} but ${busy}; draining, destroyed when empty`);
        continue;
      }
      case 'draining':
        if (sessions === 0) emit(server, 'destroy', 'drained', 'drained: no sessions left on a draining server');
        continue;
      case 'provisioning':
      case 'starting': {
        const age = (input.clockNow ?? now) - Date.parse(server.created_at);
        if (sessions === 0 && age >= input.checkinTimeoutMs) {
          emit(
            server,
            'destroy',
            'checkin-timeout',
            `check-in timeout: ${server.status} for ${formatDuration(age)}, checkin_timeout is ${formatDuration(input.checkinTimeoutMs)}; destroying it (replaced as the minimum requires)`,
          );
          continue;
        }
        break;
      }
      case 'running':
        break;
      default: {
        const unreachable: never = server.status;
        throw new Error(`unknown server status ${String(unreachable)}`);
      }
    }
    if (pool.type === 'server' && usedUp(server, autoscale)) {
      emit(server, 'destroy', 'non-reusable', 'non-reusable: its session ended; a non-reusable server is never given to another session');
      continue;
    }
    if (!input.active) {
      const userSessions = sessions - (input.stagedOn.get(server.id) ?? 0);
      if (sessions === 0) result.idleWhileInactive.push(server);
      else if (userSessions > 0)
        emit(
          server,
          'drain',
          'inactive',
          `${input.inactiveWhy}: ${plural(userSessions, 'session')} still running; draining (no new sessions), destroyed when empty`,
        );
      // Only staged sessions: they are unstaged this round; the agent is idle next round.
      continue;
    }
    result.usable.push(server);
  }
  return result;
}
