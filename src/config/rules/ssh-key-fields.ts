// How the SSH key fields of one connection (fixed server or server-pool
// autoscale config) combine; which connection types may use them at all is
// connection.ts's field-not-for-connection-type.
// ssh-key-conflict: use_user_private_key: true together with a
//   connection_private_key or connection_passphrase: the user's own key
//   (sent with the session request) is used, so the configured one would be
//   silently ignored.
// ssh-passphrase-without-key: connection_passphrase without
//   connection_private_key (nothing for it to unlock).
import type { Rule, RuleContext } from './context.ts';
import type { PathSegment } from '../source.ts';

interface KeyFields {
  use_user_private_key?: boolean;
  connection_private_key?: string;
  connection_passphrase?: string;
}

function check(ctx: RuleContext, doc: object, at: PathSegment[], item: KeyFields): void {
  if (item.use_user_private_key === true) {
    for (const field of ['connection_private_key', 'connection_passphrase'] as const) {
      if (item[field] === undefined) continue;
      ctx.report(
        'error',
        'ssh-key-conflict',
        `${field} is ignored with use_user_private_key: true (each user's own SSH key is sent with the session request); remove one of them`,
        { doc, path: [...at, field], target: 'key' },
      );
    }
    return;
  }
  if (item.connection_passphrase !== undefined && item.connection_private_key === undefined) {
    ctx.report('error', 'ssh-passphrase-without-key', 'connection_passphrase is set but there is no connection_private_key for it to unlock', {
      doc,
      path: [...at, 'connection_passphrase'],
      target: 'key',
    });
  }
}

export const sshKeyFields: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    for (const [i, a] of (pool.autoscale ?? []).entries()) check(ctx, pool, ['autoscale', i], a);
    for (const [i, s] of (pool.servers ?? []).entries()) check(ctx, pool, ['servers', i], s);
  }
};
