// `poolform servers list|drain|undrain`: the servers in the state, and taking
// one out of placement for maintenance.
//
//   list [--pool P] [--json]   every server with status, sessions and whether it takes new sessions
//   drain ID                   no new sessions on it; running ones continue (empty it before maintenance)
//   undrain ID                 give it new sessions again
//
// Drain sets the server's `enabled` flag in the state: placement (every serve
// replica, at once) skips it, and nothing is destroyed because of it; the
// autoscaler still counts it as capacity, so drain is for a while, not for
// good (to remove a server, change the configuration; to tear down, `destroy`).
// Like `sessions`, these work on the state directly, with or without serve
// running; the change takes the state lock briefly (--lock-timeout).
import type { Command } from 'commander';
import { withStateLock } from '../../state/lock-holder.ts';
import type { ServerRecord, StateStore } from '../../state/types.ts';
import { displaySafe } from '../../util/display-safe.ts';
import { parseDuration } from '../../util/duration.ts';
import { PoolformError } from '../../util/errors.ts';
import type { CliContext } from '../context.ts';
import { addStoreOptions, runCommand, withCliStore, type StoreOptionValues } from '../store-options.ts';
import { renderTable } from '../table.ts';

interface ListOptions extends StoreOptionValues {
  pool?: string;
  json?: boolean;
}

interface DrainOptions extends StoreOptionValues {
  lockTimeout: string;
}

const MUST_EXIST = { mustExist: true };

async function sessionCounts(store: StateStore): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const s of await store.listSessions({ status: ['running', 'queued'] })) {
    if (s.server_id !== null && !s.staged) counts.set(s.server_id, (counts.get(s.server_id) ?? 0) + 1);
  }
  return counts;
}

/** Sets `enabled` on server `id` under the state lock and audits it (drain: false, undrain: true). */
async function setEnabled(ctx: CliContext, options: DrainOptions, id: string, enabled: boolean): Promise<void> {
  const waitMs = parseDuration(options.lockTimeout);
  await withCliStore(
    ctx,
    options,
    ({ store }) =>
      withStateLock(store, enabled ? 'servers undrain' : 'servers drain', waitMs, async () => {
        const server = await store.getServer(id);
        if (!server) throw new PoolformError('server-not-found', `no server with id ${id} in the state (see \`poolform servers list\`)`);
        const sessions = (await sessionCounts(store)).get(id) ?? 0;
        if (server.enabled === enabled) {
          ctx.stdout.write(
            `Server ${id} ${enabled ? 'already takes new sessions' : 'is already drained'} (${sessions} session${sessions === 1 ? '' : 's'}); nothing to do.\n`,
          );
          return;
        }
        const now = new Date().toISOString();
        // Re-read right before writing: a check-in between the two reads is kept.
        const fresh = (await store.getServer(id)) ?? server;
        await store.putServer({ ...fresh, enabled, updated_at: now });
        await store.appendAudit([
          {
            at: now,
            actor: 'cli',
            action: enabled ? 'server-undrain' : 'server-drain',
            address: server.address,
            reason: `server ${id} ${enabled ? 'undrained' : 'drained'} by \`poolform servers ${enabled ? 'undrain' : 'drain'}\``,
            detail: { server_id: id, pool: server.pool, sessions },
          },
        ]);
        ctx.stdout.write(
          enabled
            ? `Server ${id} (${server.pool}) takes new sessions again.\n`
            : `Server ${id} (${server.pool}) is drained: no new sessions; ${sessions} session${sessions === 1 ? '' : 's'} still on it.\n` +
                (sessions > 0 ? `Watch it empty with \`poolform sessions list\`, or end them with \`poolform sessions end ID\`.\n` : 'It is empty.\n'),
        );
      }),
    undefined,
    MUST_EXIST,
  );
}

/** friendly_name of fixed servers and agents, as last applied (their `server.<pool>.<name>` resource attributes). */
async function friendlyNames(store: StateStore): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const r of await store.listResources()) {
    const name = r.type === 'server' ? r.attributes['friendly_name'] : undefined;
    if (typeof name === 'string' && name !== '') names.set(r.address, name);
  }
  return names;
}

/** Addresses of fixed servers and agents whose configuration says `enabled: false` (as last applied). */
async function disabledInConfig(store: StateStore): Promise<Set<string>> {
  const disabled = new Set<string>();
  for (const r of await store.listResources()) if (r.type === 'server' && r.attributes['enabled'] === false) disabled.add(r.address);
  return disabled;
}

/**
 * Whether placement gives this server new sessions, in words: a drained
 * (disabled) server does not — "disabled" when its configuration says
 * `enabled: false`, "drained" when `servers drain` did it — nor does one that
 * is draining, being destroyed or failed, whatever its `enabled` flag says.
 */
function takesSessions(s: ServerRecord, configDisabled: ReadonlySet<string>): string {
  if (!s.enabled) return configDisabled.has(s.address) ? 'no (disabled in config)' : 'no (drained)';
  if (s.status === 'draining' || s.status === 'destroying' || s.status === 'failed') return `no (${s.status})`;
  return 'yes';
}

export function registerServers(program: Command, ctx: CliContext): void {
  const servers = program
    .command('servers')
    .description('list servers, drain one before maintenance, undrain it after (works on the state)')
    .addHelpText('after', '\nExamples:\n  poolform servers list --pool desktops\n  poolform servers drain a1b2c3d4\n  poolform servers undrain a1b2c3d4\n');

  addStoreOptions(
    servers
      .command('list')
      .description('every server with its status, sessions and whether it takes new sessions')
      .option('--pool <pool>', 'only this pool')
      .option('--json', 'print JSON')
      .addHelpText('after', '\nExample:\n  poolform servers list --pool desktops --state /var/lib/poolform\n'),
  ).action((options: ListOptions) =>
    runCommand(ctx, () =>
      withCliStore(
        ctx,
        options,
        async ({ store }) => {
          const counts = await sessionCounts(store);
          const names = await friendlyNames(store);
          const configDisabled = await disabledInConfig(store);
          const list = (await store.listServers())
            .filter((s) => !options.pool || s.pool === options.pool)
            .sort((a, b) => (a.pool === b.pool ? (a.id < b.id ? -1 : 1) : a.pool < b.pool ? -1 : 1));
          if (options.json) {
            ctx.stdout.write(
              `${JSON.stringify(
                list.map((s) => ({
                  id: s.id,
                  pool: s.pool,
                  autoscale: s.autoscale,
                  friendly_name: names.get(s.address) ?? null,
                  address: s.address,
                  hostname: s.hostname,
                  ip: s.ip,
                  status: s.status,
                  status_message: s.status_message,
                  enabled: s.enabled,
                  sessions: counts.get(s.id) ?? 0,
                  max_sessions: s.max_sessions,
                  checked_in_at: s.checked_in_at,
                })),
                null,
                2,
              )}\n`,
            );
            return;
          }
          if (list.length === 0) {
            ctx.stdout.write(`No servers${options.pool ? ` in pool ${options.pool}` : ''}.\n`);
            return;
          }
          ctx.stdout.write(
            renderTable(
              ['ID', 'POOL', 'AUTOSCALE', 'HOSTNAME', 'STATUS', 'SESSIONS', 'NEW SESSIONS', 'NAME'],
              list.map((s) => [
                s.id,
                s.pool,
                s.autoscale ?? '(fixed)',
                displaySafe(s.hostname),
                s.status,
                `${counts.get(s.id) ?? 0}/${s.max_sessions}`,
                takesSessions(s, configDisabled),
                displaySafe(names.get(s.address) ?? ''),
              ]),
            ),
          );
        },
        undefined,
        MUST_EXIST,
      ),
    ),
  );

  for (const [name, enabled] of [
    ['drain', false],
    ['undrain', true],
  ] as const) {
    addStoreOptions(
      servers
        .command(name)
        .description(enabled ? 'give a drained server new sessions again' : 'stop placing new sessions on a server (running ones continue)')
        .argument('<id>', 'server id (see `poolform servers list`)')
        .option('--lock-timeout <duration>', 'how long to wait for the state lock', '10s')
        .addHelpText('after', `\nExample:\n  poolform servers ${name} a1b2c3d4 --state /var/lib/poolform\n`),
    ).action((id: string, options: DrainOptions) => runCommand(ctx, () => setEnabled(ctx, options, id, enabled)));
  }
}
