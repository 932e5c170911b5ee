// Connection rules for server pools.
// connection-type-required: a server pool's autoscale config needs connection_type.
// field-not-for-connection-type: SSH-only fields (private key, passphrase,
//   use_user_private_key: true) are rejected on other connection types.
// sessions-per-server: max_simultaneous_sessions_per_server (fixed servers:
//   max_simultaneous_sessions) > 1 only for reusable RDP or SSH servers (the
//   protocols that multiplex sessions).
import type { Rule, RuleContext } from './context.ts';
import { isWritten } from '../source.ts';
import type { PathSegment } from '../source.ts';
import { sshOnlyFields } from './schema-fields.ts';

function sshOnly(ctx: RuleContext, doc: object, at: PathSegment[], item: Record<string, unknown>, def: 'FixedServer' | 'AutoscaleConfig'): void {
  const type = item['connection_type'];
  if (type === undefined || type === 'ssh') return;
  const source = ctx.sourceOf(doc);
  if (!source) return;
  for (const field of sshOnlyFields(def)) {
    if (item[field] === false) continue; // `use_user_private_key: false` says nothing
    if (isWritten(source, [...at, field])) {
      ctx.report('error', 'field-not-for-connection-type', `${field} applies to SSH connections only; connection_type is ${String(type)}`, {
        doc,
        path: [...at, field],
        target: 'key',
      });
    }
  }
}

export const connectionTypeRequired: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    if (pool.type !== 'server') continue;
    (pool.autoscale ?? []).forEach((a, i) => {
      if (a.connection_type === undefined) {
        ctx.report(
          'error',
          'connection-type-required',
          `autoscale config ${a.name} of server pool ${pool.name} needs connection_type (kasmvnc, rdp, vnc or ssh)`,
          {
            doc: pool,
            path: ['autoscale', i],
          },
        );
      }
    });
  }
};

export const connectionTypeFields: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    for (const [i, a] of (pool.autoscale ?? []).entries()) sshOnly(ctx, pool, ['autoscale', i], a as unknown as Record<string, unknown>, 'AutoscaleConfig');
    for (const [i, s] of (pool.servers ?? []).entries()) sshOnly(ctx, pool, ['servers', i], s as unknown as Record<string, unknown>, 'FixedServer');
  }
};

/** Why `n` sessions at once are not allowed on such a server, or undefined when they are. */
function sessionsProblem(n: number, connectionType: string | undefined, reusable: boolean | undefined): string | undefined {
  if (n <= 1) return undefined;
  const protocolOk = connectionType === 'rdp' || connectionType === 'ssh';
  if (protocolOk && reusable !== false) return undefined;
  return reusable === false ? 'the servers are not reusable' : `connection_type is ${connectionType ?? 'not set'}`;
}

export const sessionsPerServer: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    if (pool.type !== 'server') continue;
    (pool.autoscale ?? []).forEach((a, i) => {
      const n = a.max_simultaneous_sessions_per_server ?? 1;
      const why = sessionsProblem(n, a.connection_type, a.reusable);
      if (why === undefined) return;
      ctx.report('error', 'sessions-per-server', `max_simultaneous_sessions_per_server ${n} is allowed only for reusable RDP or SSH servers (${why}); use 1`, {
        doc: pool,
        path: ['autoscale', i, 'max_simultaneous_sessions_per_server'],
      });
    });
    // Fixed servers follow the same rule (the protocols, not the provisioning, decide what multiplexes).
    (pool.servers ?? []).forEach((s, i) => {
      const n = s.max_simultaneous_sessions ?? 1;
      const why = sessionsProblem(n, s.connection_type, s.reusable);
      if (why === undefined) return;
      ctx.report('error', 'sessions-per-server', `max_simultaneous_sessions ${n} is allowed only for reusable RDP or SSH servers (${why}); use 1`, {
        doc: pool,
        path: ['servers', i, 'max_simultaneous_sessions'],
      });
    });
  }
};
