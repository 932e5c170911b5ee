// `poolform destroy [DIR]`: tear down everything poolform manages for DIR's
// state (or only --target ADDR and what depends on it), like `terraform
// destroy`. Same safety as apply: plans first, asks for `yes` (or
// --auto-approve), holds the state lock, and a busy server is drained (no new
// sessions) instead of destroyed; it goes once its sessions end (run destroy
// again, or let serve finish it). --force ends those sessions and destroys
// the busy servers too.
//
// `serve` reconciling the same state would create the configured pools again:
// stop it first (destroy warns when a serve replica leads this state).
import type { Command } from 'commander';
import { LEADER_LEASE } from '../../daemon/leader.ts';
import { DESTROY_PLAN_NOTE, destroyConfig, destroyPlanText } from '../../plan/destroy-config.ts';
import { renderPlanText } from '../../plan/render-text.ts';
import { matchesTarget } from '../../plan/addresses.ts';
import type { ServerRecord, StateStore } from '../../state/types.ts';
import { PoolformError } from '../../util/errors.ts';
import { EXIT_FAILURE, EXIT_OK } from '../context.ts';
import type { CliContext } from '../context.ts';
import { planForTerminal } from '../color.ts';
import { warningLine } from '../error-line.ts';
import { addStoreOptions } from '../store-options.ts';
import { hasWork, runApply } from './apply.ts';
import { collect, hasPlanErrors, loadConfigOrReport, openWorld, parseLockTimeout, planWorld, reportPlanErrors, runCli, withLock } from './plan.ts';

interface DestroyOptions {
  autoApprove?: boolean;
  force?: boolean;
  target: string[];
  lockTimeout?: string;
  state?: string;
}

/**
 * Servers (within the targets) that still have running or queued sessions: the plan drains them
 * (or they are draining already) instead of destroying them; --force ends their sessions first.
 */
export async function busyServers(store: StateStore, targets: readonly string[]): Promise<ServerRecord[]> {
  const counts = new Map<string, number>();
  for (const s of await store.listSessions({ status: ['running', 'queued'] })) {
    if (s.server_id !== null) counts.set(s.server_id, (counts.get(s.server_id) ?? 0) + 1);
  }
  return (await store.listServers())
    .filter((s) => (counts.get(s.id) ?? 0) > 0 && (targets.length === 0 || targets.some((t) => matchesTarget(s.address, t))))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function warnIfServeLeads(ctx: CliContext, store: StateStore): Promise<void> {
  const lease = await store.getLease(LEADER_LEASE).catch(() => undefined);
  if (lease && Date.parse(lease.expires_at) > Date.now()) {
    ctx.stderr.write(
      warningLine(
        ctx.command,
        `serve (replica ${lease.holder}) is reconciling this state and will create the configured pools again; stop it before destroying`,
      ),
    );
  }
}

/** Ends the running and queued sessions on `servers` (--force). */
async function endSessionsOn(store: StateStore, servers: readonly ServerRecord[]): Promise<number> {
  const now = new Date().toISOString();
  const ids = new Set(servers.map((s) => s.id));
  let ended = 0;
  for (const s of await store.listSessions({ status: ['running', 'queued'] })) {
    if (s.server_id === null || !ids.has(s.server_id)) continue;
    await store.endSession(s.id, 'server destroyed (poolform destroy --force)', now);
    ended++;
  }
  if (ended > 0) {
    await store.appendAudit([
      {
        at: now,
        actor: 'cli',
        action: 'session-end',
        address: null,
        reason: `${ended} session(s) ended by \`poolform destroy --force\``,
        detail: { servers: [...ids] },
      },
    ]);
  }
  return ended;
}

export function registerDestroy(program: Command, ctx: CliContext): void {
  const command = program
    .command('destroy')
    .description('destroy everything poolform manages (or --target ADDR); busy servers are drained first unless --force')
    .argument('[dir]', 'config directory (its Settings say where the state is and which providers to ask)', '.')
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--force', 'also end the sessions on busy servers and destroy those servers now')
    .option('--target <address>', 'only this address or address prefix and what depends on it (repeatable)', collect, [])
    .option('--lock-timeout <duration>', 'wait this long for the state lock (default 0: fail at once)')
    .addHelpText(
      'after',
      '\nExamples:\n  poolform plan --destroy pools/           # review first\n  poolform destroy pools/ --target vm.desktops.day\n  poolform destroy pools/ --auto-approve --force\n',
    );
  addStoreOptions(command);
  command.action((dir: string, options: DestroyOptions) =>
    runCli(ctx, async () => {
      const waitMs = parseLockTimeout(options.lockTimeout);
      if (!options.autoApprove && !ctx.stdinIsTTY) {
        throw new PoolformError(
          'confirmation-required',
          'destroy needs confirmation and there is no terminal to ask on: review with `poolform plan --destroy`, then run `poolform destroy --auto-approve`',
        );
      }
      const config = await loadConfigOrReport(ctx, dir);
      if (!config) return;
      const world = await openWorld(ctx, destroyConfig(config), options.state);
      try {
        await warnIfServeLeads(ctx, world.store);
        await withLock(ctx, world.store, 'destroy', waitMs, async () => {
          let plan = await planWorld(ctx, world, { refresh: true, targets: options.target });
          ctx.stdout.write(DESTROY_PLAN_NOTE);
          ctx.stdout.write(planForTerminal(ctx.color, destroyPlanText(renderPlanText(plan))));
          if (hasPlanErrors(plan)) {
            reportPlanErrors(ctx, plan);
            ctx.stderr.write('Nothing was destroyed.\n');
            return;
          }
          const busy = await busyServers(world.store, options.target);
          if (!hasWork(plan) && !(options.force && busy.length > 0)) {
            ctx.stdout.write('\nNothing to destroy.\n');
            ctx.exitCode = EXIT_OK;
            return;
          }
          const busyNote =
            busy.length === 0
              ? ''
              : options.force
                ? `\n  --force: the sessions on ${busy.length} busy server(s) are ended and those servers destroyed too.`
                : `\n  ${busy.length} busy server(s) are drained (no new sessions) and destroyed once their sessions end (--force ends them now).`;
          if (!options.autoApprove) {
            ctx.stdout.write(
              `\nDo you really want to destroy ${options.target.length > 0 ? 'these resources' : 'everything poolform manages here'}?${busyNote}\n  There is no undo. Only 'yes' will be accepted to confirm.\n\n  Enter a value: `,
            );
            if ((await ctx.readLine()).trim() !== 'yes') {
              ctx.stdout.write('\nDestroy cancelled.\n');
              ctx.exitCode = EXIT_FAILURE;
              return;
            }
          } else if (busyNote) {
            ctx.stdout.write(`${busyNote.trimStart()}\n`);
          }
          if (options.force && busy.length > 0) {
            const ended = await endSessionsOn(world.store, busy);
            ctx.stdout.write(`\nEnded ${ended} session${ended === 1 ? '' : 's'} on busy servers (--force).\n`);
            plan = await planWorld(ctx, world, { refresh: true, targets: options.target });
          }
          ctx.stdout.write('\n');
          await runApply(ctx, world, plan);
          const left = options.force ? 0 : busy.length;
          if (left > 0) {
            ctx.stdout.write(
              `\n${left} busy server${left === 1 ? ' is' : 's are'} draining: run \`poolform destroy\` again once their sessions end (see \`poolform sessions list\`), or use --force.\n`,
            );
          }
        });
      } finally {
        await world.opened.close();
      }
    }),
  );
}
