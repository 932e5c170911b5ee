// `poolform apply [DIR|PLANFILE]`: carry out a plan.
//
// With DIR (default .): plan, print, ask for `yes` on a terminal (or
// --auto-approve), apply. Without a terminal and without --auto-approve it
// refuses. With PLANFILE (from `plan -out`): apply exactly that plan, refused
// with "Saved plan is stale" if the state changed since it was made.
// Holds the state lock throughout (a second apply fails at once with who
// holds it, or waits --lock-timeout). Exit 1 if any change failed.
import { constants } from 'node:fs';
import { access, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { applyPlan } from '../../apply/apply-plan.ts';
import type { ApplyEvent, ApplyResult } from '../../apply/types.ts';
import { renderPlanText, summaryLine } from '../../plan/render-text.ts';
import { assertConfigUnchanged, assertDecidedForNow, assertNotStale, configDigest } from '../../plan/saved-plan.ts';
import type { Plan, ResourceChange } from '../../plan/types.ts';
import { PoolformError } from '../../util/errors.ts';
import { EXIT_FAILURE, EXIT_OK } from '../context.ts';
import type { CliContext } from '../context.ts';
import { planForTerminal } from '../color.ts';
import { addStoreOptions } from '../store-options.ts';
import { needsNewStateConfirmation } from '../new-state.ts';
import type { NewState } from '../new-state.ts';
import type { CliWorld } from './plan.ts';
import {
  cliApiAddress,
  collect,
  hasPlanErrors,
  loadConfigOrReport,
  newIntentId,
  openWorld,
  parseBool,
  parseLockTimeout,
  planWorld,
  readSavedPlanFile,
  reportPlanErrors,
  runCli,
  withLock,
} from './plan.ts';

interface ApplyOptions {
  autoApprove?: boolean;
  lockTimeout?: string;
  target: string[];
  refresh?: string | boolean;
  state?: string;
}

const VERBS: Record<ResourceChange['action'], [string, string]> = {
  create: ['Creating...', 'Creation complete'],
  update: ['Modifying...', 'Modifications complete'],
  replace: ['Replacing...', 'Replacement complete'],
  delete: ['Destroying...', 'Destruction complete'],
};

function progress(ctx: CliContext): (event: ApplyEvent) => void {
  return (event) => {
    const { change } = event;
    if (event.kind === 'start') {
      ctx.stdout.write(`${change.address}: ${VERBS[change.action][0]}\n`);
      return;
    }
    const { outcome } = event;
    switch (outcome.status) {
      case 'applied':
        ctx.stdout.write(`${change.address}: ${VERBS[change.action][1]} after ${Math.round(event.ms / 100) / 10}s\n`);
        break;
      case 'failed':
        ctx.stdout.write(`${change.address}: failed [${outcome.code ?? 'apply-failed'}]: ${outcome.message ?? ''}\n`);
        break;
      case 'skipped':
        ctx.stdout.write(`${change.address}: skipped: ${outcome.message ?? ''}\n`);
        break;
      case 'held':
        break;
      default: {
        const never: never = outcome.status;
        throw new Error(`unknown status ${String(never)}`);
      }
    }
  };
}

function report(ctx: CliContext, result: ApplyResult): void {
  const { added, changed, destroyed } = result.summary;
  if (result.failures.length === 0) {
    ctx.stdout.write(`\nApply complete! Resources: ${added} added, ${changed} changed, ${destroyed} destroyed.\n`);
  } else {
    ctx.stdout.write(`\nApply finished with errors. Resources: ${added} added, ${changed} changed, ${destroyed} destroyed.\n`);
  }
  if (result.skipped.length > 0) {
    ctx.stdout.write('\nSkipped:\n');
    for (const s of result.skipped) ctx.stdout.write(`  ${s.address}: ${s.message ?? ''}\n`);
  }
  if (result.failures.length > 0) {
    ctx.stderr.write(`\n${result.failures.length} change${result.failures.length === 1 ? '' : 's'} failed:\n`);
    for (const f of result.failures) ctx.stderr.write(`  error [${f.code ?? 'apply-failed'}]: ${f.address}: ${f.message ?? 'failed'}\n`);
    ctx.stderr.write('Run `poolform apply` again to retry: what succeeded is recorded, unfinished creates are adopted or cleaned up.\n');
    ctx.exitCode = EXIT_FAILURE;
  } else {
    ctx.exitCode = EXIT_OK;
  }
}

export async function runApply(ctx: CliContext, world: CliWorld, plan: Plan): Promise<void> {
  const result = await applyPlan(plan, {
    config: world.config,
    store: world.store,
    registry: world.registry,
    clock: () => new Date(),
    newId: newIntentId,
    env: ctx.env,
    apiAddress: cliApiAddress(world.config),
    policy: 'all',
    actor: 'cli',
    onEvent: progress(ctx),
  });
  report(ctx, result);
}

export function hasWork(plan: Plan): boolean {
  return plan.changes.length > 0 || (plan.cleanup?.length ?? 0) > 0;
}

/**
 * What `apply TARGET` names: a plan file or a config directory. Anything else (a
 * missing path such as a mistyped `nope.plan`, an unreadable file, a socket) is
 * neither, and is reported as such rather than as a missing config directory.
 */
async function targetKind(path: string, shown: string): Promise<'plan-file' | 'config-dir'> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) return 'config-dir';
  if (info?.isFile()) {
    const readable = await access(path, constants.R_OK).then(
      () => true,
      () => false,
    );
    if (readable) return 'plan-file';
  }
  throw new PoolformError(
    'apply-target-not-found',
    `no such plan file or config directory: ${shown}${info ? ' (it is not a readable file or a directory)' : ''}`,
  );
}

async function applySavedPlan(ctx: CliContext, file: string, options: ApplyOptions, waitMs: number): Promise<void> {
  const saved = await readSavedPlanFile(ctx, file);
  const config = await loadConfigOrReport(ctx, saved.config_dir);
  if (!config) return;
  const world = await openWorld(ctx, config, options.state ?? saved.state_path);
  try {
    await withLock(ctx, world.store, 'apply', waitMs, async () => {
      assertDecidedForNow(saved.plan);
      assertNotStale(saved.plan, await world.store.meta());
      assertConfigUnchanged(saved, configDigest(config));
      if (hasPlanErrors(saved.plan)) {
        reportPlanErrors(ctx, saved.plan);
        return;
      }
      if (!hasWork(saved.plan)) {
        ctx.stdout.write(`${summaryLine(saved.plan)}\n`);
        ctx.exitCode = EXIT_OK;
        return;
      }
      await runApply(ctx, world, saved.plan);
    });
  } finally {
    await world.opened.close();
  }
}

export function registerApply(program: Command, ctx: CliContext): void {
  const command = program
    .command('apply')
    .description('apply the changes a plan shows (asks for confirmation), or exactly a saved plan')
    .argument('[target]', 'config directory, or a plan file saved with `plan -out`', '.')
    .option('--auto-approve', 'do not ask for confirmation')
    .option('--lock-timeout <duration>', 'wait this long for the state lock (default 0: fail at once)')
    .option('--target <address>', 'limit to this address or address prefix and what it depends on (repeatable)', collect, [])
    .option('--refresh [bool]', 'ask the providers what exists before planning (default true)');
  addStoreOptions(command);
  command.action((target: string, options: ApplyOptions) =>
    runCli(ctx, async () => {
      const waitMs = parseLockTimeout(options.lockTimeout);
      const refresh = parseBool(options.refresh, '--refresh', true);
      if ((await targetKind(resolve(ctx.cwd, target), target)) === 'plan-file') {
        await applySavedPlan(ctx, target, options, waitMs);
        return;
      }
      if (!options.autoApprove && !ctx.stdinIsTTY) {
        throw new PoolformError(
          'confirmation-required',
          'apply needs confirmation and there is no terminal to ask on: review with `poolform plan`, then run `poolform apply --auto-approve` (or apply a saved plan file)',
        );
      }
      const config = await loadConfigOrReport(ctx, target);
      if (!config) return;
      const world = await openWorld(ctx, config, options.state);
      let discardNewState = false;
      let newStateConfirmed = false;
      /** Asks (even with --auto-approve) before using a brand-new state; refuses without a terminal. False: cancelled. */
      const confirmNewState = async (info: NewState, why: string): Promise<boolean> => {
        if (!ctx.stdinIsTTY) {
          discardNewState = info.created;
          throw new PoolformError(
            'state-new-unconfirmed',
            `${why}. Pass --state ${info.suggestion ?? 'PATH'} (or --state ${dirname(info.file)} to really start a new state), or set Settings.state.path`,
          );
        }
        ctx.stdout.write(`\nWarning: ${why}.\n  Only 'yes' will be accepted to use the new state.\n\n  Use the new state? `);
        if ((await ctx.readLine()).trim() !== 'yes') {
          discardNewState = info.created;
          ctx.stdout.write(`\nApply cancelled.${info.suggestion ? ` Did you mean --state ${info.suggestion}?` : ''}\n`);
          ctx.exitCode = EXIT_FAILURE;
          return false;
        }
        newStateConfirmed = true;
        return true;
      };
      try {
        if (needsNewStateConfirmation(world.newState)) {
          const info = world.newState;
          const why = `the state at ${info.file} is new while ${info.suggestion ?? ''} holds one: applying would create every server of the configuration a second time`;
          if (!(await confirmNewState(info, why))) return;
        }
        await withLock(ctx, world.store, 'apply', waitMs, async () => {
          const plan = await planWorld(ctx, world, { refresh, targets: options.target });
          ctx.stdout.write(planForTerminal(ctx.color, renderPlanText(plan)));
          if (hasPlanErrors(plan)) {
            reportPlanErrors(ctx, plan);
            ctx.stderr.write('Nothing was applied.\n');
            return;
          }
          if (!hasWork(plan)) {
            ctx.exitCode = EXIT_OK;
            return;
          }
          // A brand-new state at the default path, yet the providers already hold records poolform
          // made (the plan adopts them, or would delete them as orphans): resources that look
          // managed from another state.
          const adopted = plan.changes.filter((c) => c.reason.startsWith('adopt:') || c.reason.startsWith('orphan: poolform-owned')).length;
          // Only where the path was not chosen: an explicit --state / Settings.state.path is deliberate.
          if (world.newState && !world.newState.explicit && !newStateConfirmed && adopted > 0) {
            const why = `the state at ${world.newState.file} is new, but the providers already hold ${adopted} record(s) poolform made: they look managed from another state, and applying would create their servers a second time`;
            if (!(await confirmNewState(world.newState, why))) return;
          }
          if (!options.autoApprove) {
            ctx.stdout.write(
              "\nDo you want to perform these actions?\n  poolform will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
            );
            const answer = (await ctx.readLine()).trim();
            if (answer !== 'yes') {
              ctx.stdout.write('\nApply cancelled.\n');
              ctx.exitCode = EXIT_FAILURE;
              return;
            }
          }
          ctx.stdout.write('\n');
          await runApply(ctx, world, plan);
        });
      } finally {
        await world.opened.close();
        // A state file this refused apply created is removed again: the next run asks again.
        if (discardNewState && world.newState) await removeSqliteFiles(world.newState.file);
      }
    }),
  );
}

async function removeSqliteFiles(file: string): Promise<void> {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) await rm(f, { force: true });
}
