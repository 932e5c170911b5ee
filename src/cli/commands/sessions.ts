// `poolform sessions list|end`: the sessions in the state, for operators.
//
//   list [--pool P] [--all] [--json]   running and queued sessions (--all: ended and failed too)
//   end ID                             end a session now (as DELETE /api/v1/sessions/ID would)
//
// These work on the state directly (--state PATH / --config DIR, like `state`),
// whether `serve` runs or not: serve keeps no session data of its own (every
// replica reads the state per request), so what this changes is what the API
// answers at once. After `end`, queued requests move onto the freed slot at
// serve's next reconcile (Settings.reconcile_interval) rather than at once.
//
// With `--api URL` (or POOLFORM_API_URL) and POOLFORM_API_KEY they go through a
// running serve instead (GET /api/v1/sessions, DELETE /api/v1/sessions/ID): no
// access to the state needed, and an ended session's slot goes to the queue at
// once. What the key sees depends on its role (an admin key: everything).
import type { Command } from 'commander';
import { retireIfSingleUse } from '../../server/single-use.ts';
import type { SessionRecord, SessionStatus } from '../../state/types.ts';
import { displaySafe } from '../../util/display-safe.ts';
import { PoolformError } from '../../util/errors.ts';
import type { CliContext } from '../context.ts';
import { addStoreOptions, runCommand, withCliStore, type StoreOptionValues } from '../store-options.ts';
import { renderTable } from '../table.ts';
import { apiJson, apiTarget } from '../api-client.ts';

interface ListOptions extends StoreOptionValues {
  pool?: string;
  all?: boolean;
  json?: boolean;
  api?: string;
}

interface EndOptions extends StoreOptionValues {
  api?: string;
}

type SessionView = ReturnType<typeof sessionJson>;

function printList(ctx: CliContext, list: readonly SessionView[], options: ListOptions): void {
  if (options.json) {
    ctx.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  if (list.length === 0) {
    ctx.stdout.write(`No ${options.all ? '' : 'running or queued '}sessions${options.pool ? ` in pool ${options.pool}` : ''}.\n`);
    return;
  }
  ctx.stdout.write(
    renderTable(
      ['ID', 'POOL', 'STATUS', 'SERVER', 'USER', 'API KEY', 'CREATED', 'LAST KEEPALIVE'],
      list.map((s) => [s.id, s.pool, s.status, s.server_id ?? '-', displaySafe(s.user), s.api_key ?? '-', s.created_at, s.last_keepalive_at ?? '-']),
    ),
  );
}

const MUST_EXIST = { mustExist: true };

function sessionJson(s: SessionRecord) {
  return {
    id: s.id,
    pool: s.pool,
    status: s.status,
    server_id: s.server_id,
    user: s.user,
    zone: s.zone,
    workspace: s.workspace,
    api_key: s.api_key,
    created_at: s.created_at,
    last_keepalive_at: s.last_keepalive_at,
    ended_at: s.ended_at,
    end_reason: s.end_reason,
  };
}

export function registerSessions(program: Command, ctx: CliContext): void {
  const sessions = program
    .command('sessions')
    .description('list or end sessions (reads and writes the state; works with or without serve running)')
    .addHelpText('after', '\nExamples:\n  poolform sessions list --pool desktops\n  poolform sessions end 01JF3ZQ8K2M4X7Y9\n');

  addStoreOptions(
    sessions
      .command('list')
      .description('running and queued sessions, oldest first')
      .option('--pool <pool>', 'only this pool')
      .option('--all', 'ended and failed sessions too')
      .option('--json', 'print JSON')
      .option('--api <url>', 'ask a running serve instead of the state (key in POOLFORM_API_KEY; default POOLFORM_API_URL)')
      .addHelpText(
        'after',
        '\nExamples:\n  poolform sessions list --pool desktops --json --state /var/lib/poolform\n  POOLFORM_API_KEY=$OPS_KEY poolform sessions list --api https://poolform.example.com\n',
      ),
  ).action((options: ListOptions) =>
    runCommand(ctx, async () => {
      const api = apiTarget(ctx, options.api);
      if (api) {
        const query = new URLSearchParams({
          status: options.all ? 'queued,running,ended,failed' : 'queued,running',
          ...(options.pool ? { pool: options.pool } : {}),
        });
        const body = (await apiJson(api, 'GET', `/api/v1/sessions?${query.toString()}`)) as { sessions?: SessionView[] } | null;
        printList(ctx, body?.sessions ?? [], options);
        return;
      }
      await withCliStore(
        ctx,
        options,
        async ({ store }) => {
          const status: SessionStatus[] | undefined = options.all ? undefined : ['running', 'queued'];
          const list = (await store.listSessions({ ...(options.pool ? { pool: options.pool } : {}), ...(status ? { status } : {}) }))
            .filter((s) => !s.staged)
            .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
          printList(ctx, list.map(sessionJson), options);
        },
        undefined,
        MUST_EXIST,
      );
    }),
  );

  addStoreOptions(
    sessions
      .command('end')
      .description('end a session now (its server slot frees; a single-use server is retired)')
      .argument('<id>', 'session id (see `poolform sessions list`)')
      .option('--api <url>', 'end it through a running serve (key in POOLFORM_API_KEY; default POOLFORM_API_URL)')
      .addHelpText(
        'after',
        '\nExamples:\n  poolform sessions end 01JF3ZQ8K2M4X7Y9 --state /var/lib/poolform\n  POOLFORM_API_KEY=$OPS_KEY poolform sessions end 01JF3ZQ8K2M4X7Y9 --api https://poolform.example.com\n',
      ),
  ).action((id: string, options: EndOptions) =>
    runCommand(ctx, async () => {
      const api = apiTarget(ctx, options.api);
      if (api) {
        const ended = (await apiJson(api, 'DELETE', `/api/v1/sessions/${encodeURIComponent(id)}`)) as { status?: string; end_reason?: string } | null;
        ctx.stdout.write(`Session ${id} ${ended?.status ?? 'ended'} (${ended?.end_reason ?? 'deleted'}), through ${api.base}.\n`);
        return;
      }
      await withCliStore(
        ctx,
        options,
        async ({ store }) => {
          const session = await store.getSession(id);
          if (!session || session.staged)
            throw new PoolformError('session-not-found', `no session with id ${id} in the state (see \`poolform sessions list\`)`);
          if (session.status === 'ended' || session.status === 'failed') {
            ctx.stdout.write(`Session ${id} has already ${session.status} (${session.end_reason ?? 'unknown'}); nothing to do.\n`);
            return;
          }
          const now = new Date().toISOString();
          const ended = await store.endSession(id, 'ended by operator', now);
          if (session.status === 'running') await retireIfSingleUse(store, session.server_id, now);
          await store.appendAudit([
            {
              at: now,
              actor: 'cli',
              action: 'session-end',
              address: null,
              reason: `session ${id} ended by \`poolform sessions end\``,
              detail: { session_id: id, pool: session.pool, server_id: session.server_id },
            },
          ]);
          ctx.stdout.write(
            `Session ${id} (${session.status} in pool ${session.pool}${session.server_id ? ` on ${session.server_id}` : ''}) ${ended?.status ?? 'ended'}.\n` +
              (session.status === 'running' ? "Queued requests move onto the freed slot at serve's next reconcile.\n" : ''),
          );
        },
        undefined,
        MUST_EXIST,
      );
    }),
  );
}
