// `poolform state list|show|rm|pull`: inspect and edit the state directly.
//   list [ADDR...]   addresses in state (optionally only those starting with ADDR)
//   show ADDR        one resource with its attributes and server (--json)
//   rm ADDR...       forget resources without destroying them (takes the state lock)
//   pull             the whole state as JSON, secrets redacted
// Every subcommand takes --state PATH and --config DIR (cli/store-options.ts).
import { errorLine } from '../error-line.ts';
import type { Command } from 'commander';
import { exportState } from '../../state/export.ts';
import { withStateLock } from '../../state/lock-holder.ts';
import { redactJson } from '../../state/redact.ts';
import type { InfrastructureStore, ResourceRecord, ServerRecord, StateStore } from '../../state/types.ts';
import { parseDuration } from '../../util/duration.ts';
import { PoolformError } from '../../util/errors.ts';
import { EXIT_FAILURE, EXIT_USAGE, type CliContext } from '../context.ts';
import { addStoreOptions, runCommand, withCliStore, type StoreOptionValues } from '../store-options.ts';
import { displaySafe } from '../../util/display-safe.ts';

function matches(address: string, filters: readonly string[]): boolean {
  return filters.length === 0 || filters.some((f) => address === f || address.startsWith(f.endsWith('.') ? f : `${f}.`));
}

function renderResource(resource: ResourceRecord, servers: readonly ServerRecord[], active: ReadonlyMap<string, number>): string {
  const lines: string[] = [`# ${resource.address}`];
  const field = (name: string, value: string | number | null): void => {
    lines.push(`${name.padEnd(16)}= ${value === null ? '(none)' : String(value)}`);
  };
  field('type', resource.type);
  field('provider', resource.provider);
  field('provider_id', resource.provider_id);
  field('status', resource.status);
  field('created_at', resource.created_at);
  field('updated_at', resource.updated_at);
  const attributes = redactJson(resource.attributes);
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) lines.push('attributes      = {}');
  else {
    lines.push('attributes:');
    const width = Math.max(...keys.map((k) => k.length));
    for (const k of keys) lines.push(`  ${k.padEnd(width)} = ${JSON.stringify(attributes[k] ?? null)}`);
  }
  for (const s of servers) {
    lines.push('', `# server ${s.id}`);
    field('pool', s.pool);
    field('autoscale', s.autoscale);
    field('hostname', s.hostname);
    field('ip', s.ip);
    field('connection', s.connection_type === null ? null : `${s.connection_type}:${s.connection_port ?? ''}`);
    // Check-in messages come from the servers: never let them drive the terminal.
    field('status', `${s.status} (${s.status_progress}%)${s.status_message ? ` ${displaySafe(s.status_message)}` : ''}`);
    field('enabled', String(s.enabled));
    field('sessions', `${active.get(s.id) ?? 0} active / ${s.max_sessions} max`);
    if (s.capacity) field('capacity', `${s.capacity.cores} cores, ${s.capacity.memory_mb} MB, ${s.capacity.gpus} GPUs`);
    field('checked_in_at', s.checked_in_at);
  }
  return `${lines.join('\n')}\n`;
}

async function serversAt(store: Pick<InfrastructureStore, 'listServers'>, address: string): Promise<ServerRecord[]> {
  return (await store.listServers()).filter((s) => s.address === address);
}

interface ShowOptions extends StoreOptionValues {
  json?: boolean;
}

interface RmOptions extends StoreOptionValues {
  lockTimeout: string;
}

/** These commands inspect or edit existing state: a missing SQLite state is reported, not created. */
const MUST_EXIST = { mustExist: true };

export function registerState(program: Command, ctx: CliContext): void {
  const state = program
    .command('state')
    .description('inspect and edit the state directly: list, show, rm (forget), pull')
    .action(() => {
      ctx.stderr.write(state.helpInformation());
      ctx.exitCode = EXIT_USAGE;
    });

  addStoreOptions(
    state
      .command('list')
      .description('list the addresses in state, optionally only those under the given addresses')
      .argument('[address...]', 'addresses or address prefixes, e.g. vm.desktops'),
  ).action((filters: string[], options: StoreOptionValues) =>
    runCommand(ctx, async () => {
      try {
        await withCliStore(
          ctx,
          options,
          async ({ store }) => {
            const resources = await store.listResources();
            for (const r of resources) if (matches(r.address, filters)) ctx.stdout.write(`${r.address}\n`);
          },
          undefined,
          MUST_EXIST,
        );
      } catch (err) {
        // No state yet: nothing to list (said on stderr so scripts reading stdout see an empty list).
        if (!(err instanceof PoolformError) || err.code !== 'state-missing') throw err;
        ctx.stderr.write(`poolform ${ctx.command ?? 'state list'}: note: ${err.message}\n`);
      }
    }),
  );

  addStoreOptions(
    state
      .command('show')
      .description('show one resource in state, with its server and attributes (secrets redacted)')
      .argument('<address>', 'resource address, e.g. vm.desktops.aws.<server_id>')
      .option('--json', 'print JSON'),
  ).action((address: string, options: ShowOptions) =>
    runCommand(ctx, () =>
      withCliStore(
        ctx,
        options,
        async ({ store }) => {
          const resource = await store.getResource(address);
          if (!resource) {
            ctx.stderr.write(errorLine(ctx.command, 'resource-not-in-state', `no resource at ${address} in state (see \`poolform state list\`)`));
            ctx.exitCode = EXIT_FAILURE;
            return;
          }
          const servers = await serversAt(store, address);
          const active = new Map<string, number>();
          for (const s of servers) active.set(s.id, await store.activeSessionCount(s.id));
          if (options.json) {
            const out = {
              ...resource,
              attributes: redactJson(resource.attributes),
              servers: servers.map((s) => ({ ...s, active_sessions: active.get(s.id) ?? 0 })),
            };
            ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          } else {
            ctx.stdout.write(renderResource(resource, servers, active));
          }
        },
        undefined,
        MUST_EXIST,
      ),
    ),
  );

  addStoreOptions(
    state
      .command('rm')
      .description('forget resources without destroying them (the infrastructure stays; poolform stops managing it)')
      .argument('<address...>', 'resource addresses to forget')
      .option('--lock-timeout <duration>', 'how long to wait for the state lock', '0s'),
  ).action((requested: string[], options: RmOptions) =>
    runCommand(ctx, async () => {
      const addresses = [...new Set(requested)];
      const waitMs = parseDuration(options.lockTimeout);
      await withCliStore(
        ctx,
        options,
        ({ store }) =>
          withStateLock(store, 'state rm', waitMs, async () => {
            const missing: string[] = [];
            for (const a of addresses) if (!(await store.getResource(a))) missing.push(a);
            if (missing.length > 0) {
              ctx.stderr.write(errorLine(ctx.command, 'resource-not-in-state', `not in state: ${missing.join(', ')} (nothing was removed)`));
              ctx.exitCode = EXIT_FAILURE;
              return;
            }
            // Forgetting a VM forgets its DNS and AD records too: they belong to a machine poolform
            // no longer manages (plan leaves records of a forgotten, still running VM alone).
            const all = await store.listResources();
            for (const address of [...addresses]) {
              const vm = all.find((r) => r.address === address && r.type === 'vm');
              const serverId = vm ? vm.attributes['server_id'] : undefined;
              if (typeof serverId !== 'string') continue;
              for (const r of all) {
                if ((r.type === 'dns_record' || r.type === 'ad_computer') && r.attributes['server_id'] === serverId && !addresses.includes(r.address)) {
                  addresses.push(r.address);
                }
              }
            }
            const intents = await store.listIntents();
            for (const address of addresses) {
              const resource = await store.getResource(address);
              if (!resource) continue;
              const servers = await serversAt(store, address);
              let sessions = 0;
              for (const s of servers) {
                sessions += await store.activeSessionCount(s.id);
                await store.deleteServer(s.id);
              }
              // An unfinished intent would make the next apply adopt the resource again.
              for (const i of intents) if (i.address === address) await store.deleteIntent(i.id);
              await store.deleteResource(address);
              await store.appendAudit([
                {
                  at: new Date().toISOString(),
                  actor: 'cli',
                  action: 'state-rm',
                  address,
                  reason: 'removed from state by `poolform state rm`; the infrastructure was not destroyed',
                  detail: { type: resource.type, provider: resource.provider, provider_id: resource.provider_id, servers: servers.map((s) => s.id) },
                },
              ]);
              ctx.stdout.write(`Removed ${address}${resource.provider_id ? ` (${resource.provider_id})` : ''}\n`);
              if (sessions > 0) ctx.stdout.write(`  note: ${sessions} active session(s) on its server stay recorded until they end\n`);
            }
            ctx.stdout.write(
              `Successfully removed ${addresses.length} resource instance(s) from state. Nothing was destroyed: ` +
                'the infrastructure still exists and poolform no longer manages it.\n',
            );
          }),
        undefined,
        MUST_EXIST,
      );
    }),
  );

  addStoreOptions(state.command('pull').description('print the whole state as JSON (secrets redacted)')).action((options: StoreOptionValues) =>
    runCommand(ctx, () =>
      withCliStore(
        ctx,
        options,
        async ({ store }) => {
          ctx.stdout.write(`${JSON.stringify(await exportState(store), null, 2)}\n`);
        },
        undefined,
        MUST_EXIST,
      ),
    ),
  );
}
