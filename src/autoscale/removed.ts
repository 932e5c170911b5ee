// Servers whose autoscale config (or whole pool) is no longer in the
// configuration: they drain (no new sessions) and are destroyed once idle.
// Gone servers are cleaned up the same way as anywhere else.
import type { Decision, ServerView } from './types.ts';
import { makeDecision } from './decision.ts';
import { plural } from './format.ts';

/** Decisions for the servers of one removed config, given oldest first. */
export function removedConfigDecisions(servers: readonly ServerView[]): Decision[] {
  const decisions: Decision[] = [];
  for (const server of servers) {
    if (server.status === 'destroying' && !server.gone) continue;
    const base = { pool: server.pool, autoscale: server.autoscale, server_id: server.id };
    const sessions = server.active_sessions;
    if (sessions === 0) {
      decisions.push(
        makeDecision(
          {
            ...base,
            action: 'destroy',
            reason: server.gone
              ? 'gone: the provider no longer has this server (its autoscale config was removed); removing it'
              : 'removed: its autoscale config is no longer in the configuration and it is idle',
          },
          server.gone ? 'gone' : 'removed',
        ),
      );
    } else if (server.status !== 'draining') {
      decisions.push(
        makeDecision(
          {
            ...base,
            action: 'drain',
            reason: `removed: its autoscale config is no longer in the configuration; ${plural(sessions, 'session')} still running, draining (no new sessions), destroyed when empty`,
          },
          'removed',
        ),
      );
    }
  }
  return decisions;
}
