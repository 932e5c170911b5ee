// `poolform plan [DIR]`: what apply would change, Terraform-style.
//
//   --at ISO              decide for this instant (default now)
//   --json                JSON shaped like `terraform show -json` (= --format json)
//   --format F            text | json | markdown (pull-request comments)
//   -out FILE / --out     save the plan for `poolform apply FILE`
//   --detailed-exitcode   0 no changes, 1 error, 2 changes
//   --target ADDR         (repeatable) only these addresses (or prefixes) and what they depend on
//   --refresh=false       do not ask the providers; trust the state
//   --lock=false          do not take the state lock
//   --lock-timeout 30s    wait this long for the lock (default: fail at once)
//   --state PATH          state directory
//
// Also the pieces `apply` shares: loading the config, opening state and
// providers, the crash hook, the lock.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultUpstreamAuthAddress } from '../../apply/api-address.ts';
import { planOnce } from '../../apply/reconcile.ts';
import { loadConfig } from '../../config/load.ts';
import type { Config, Diagnostic } from '../../config/model.ts';
import { parseCrashAfter, withCrashAfter } from '../../providers/crash-after.ts';
import type { ProviderRegistry } from '../../providers/registry.ts';
import { createProviderRegistry } from '../../providers/registry.ts';
import { createIdGen } from '../../plan/names.ts';
import { DESTROY_PLAN_NOTE, destroyConfig, destroyPlanText } from '../../plan/destroy-config.ts';
import { renderPlanJson } from '../../plan/render-json.ts';
import { renderPlanMarkdown } from '../../plan/render-markdown.ts';
import { renderPlanText } from '../../plan/render-text.ts';
import { configDigest, parseSavedPlan, serializeSavedPlan } from '../../plan/saved-plan.ts';
import type { SavedPlanFile } from '../../plan/saved-plan.ts';
import type { Plan } from '../../plan/types.ts';
import { staleLockMessage, withStateLock } from '../../apply/state-lock.ts';
import type { StateStore } from '../../state/types.ts';
import { parseDuration } from '../../util/duration.ts';
import { PoolformError } from '../../util/errors.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../context.ts';
import type { CliContext } from '../context.ts';
import { planForTerminal } from '../color.ts';
import { errorLine, warningLine } from '../error-line.ts';
import { describeNewState, newStateNotice, stateFileFor } from '../new-state.ts';
import type { NewState } from '../new-state.ts';
import type { CliStore } from '../store-options.ts';
import { addStoreOptions, openCliStore, runCommand } from '../store-options.ts';

export const EXIT_CHANGES = 2;

/** A usage mistake (bad flag value): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}:${d.line}:${d.column}: ` : '';
  return `${where}${d.severity} ${d.code}: ${d.message}`;
}

/** Loads and validates DIR; on errors prints them and returns undefined. */
export async function loadConfigOrReport(ctx: CliContext, dir: string): Promise<Config | undefined> {
  const result = await loadConfig(resolve(ctx.cwd, dir));
  if (!result.config) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    ctx.stderr.write(
      errorLine(
        ctx.command,
        'config-invalid',
        `the configuration in ${dir} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}; run \`poolform validate ${dir}\`):`,
      ),
    );
    for (const d of errors.slice(0, 20)) ctx.stderr.write(`  ${formatDiagnostic(d)}\n`);
    ctx.exitCode = EXIT_FAILURE;
    return undefined;
  }
  return result.config;
}

/** `true`/`false` flag values (`--refresh=false`); absent → the default. */
export function parseBool(value: string | boolean | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new UsageError(`${flag} takes true or false, not ${JSON.stringify(value)}`);
}

/** `--lock-timeout` in ms (`0` alone is allowed). */
export function parseLockTimeout(value: string | undefined): number {
  if (value === undefined || value.trim() === '0') return 0;
  try {
    return parseDuration(value);
  } catch {
    throw new UsageError(`--lock-timeout takes a duration such as 30s or 5m, not ${JSON.stringify(value)}`);
  }
}

export function parseAt(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`--at takes an ISO-8601 instant such as 2026-01-05T09:00:00Z, not ${JSON.stringify(value)}`);
  return new Date(ms);
}

/** Runs an action: usage mistakes exit 2, operational errors exit 1 (one `Error:` line). */
export async function runCli(ctx: CliContext, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr.write(errorLine(ctx.command, 'usage', error.message));
      ctx.exitCode = EXIT_USAGE;
      return;
    }
    await runCommand(ctx, () => Promise.reject(error));
  }
}

/** Config, state and providers of one CLI run. */
export interface CliWorld {
  config: Config;
  opened: CliStore;
  store: StateStore;
  registry: ProviderRegistry;
  /** Set when the state is brand-new (new-state.ts); plan and apply say so, apply may ask. */
  newState?: NewState | undefined;
}

/** Opens state and providers for `config`. `POOLFORM_CRASH_AFTER=N` (test hook) wraps the providers with the crash hook. */
export async function openWorld(ctx: CliContext, config: Config, state: string | undefined): Promise<CliWorld> {
  const before = stateFileFor(config, state, ctx.cwd);
  const opened = await openCliStore(ctx, { state }, config);
  let newState: NewState | undefined;
  if (before) {
    try {
      newState = describeNewState(config, state, before.file, before.exists, (await opened.store.meta()).serial);
    } catch (err) {
      await opened.close();
      throw err;
    }
    // Said when the path was not chosen (the default ./state depends on the working directory) or another state is near.
    if (newState && (!newState.explicit || newState.suggestion)) ctx.stderr.write(newStateNotice(ctx.command, newState));
  }
  let registry = createProviderRegistry({ config, stateDir: opened.stateDir, env: ctx.env, warn: (m) => ctx.stderr.write(warningLine(ctx.command, m)) });
  const crashAfter = parseCrashAfter(ctx.env['POOLFORM_CRASH_AFTER']);
  if (crashAfter !== undefined) registry = withCrashAfter(registry, crashAfter);
  return { config, opened, store: opened.store, registry, newState };
}

/** Plans with the CLI's clock, new server ids and environment (plan and apply share it). */
export async function planWorld(ctx: CliContext, world: CliWorld, options: { refresh: boolean; targets: readonly string[]; at?: Date }): Promise<Plan> {
  const { plan } = await planOnce({
    config: world.config,
    store: world.store,
    registry: world.registry,
    clock: () => new Date(),
    idGen: newServerIds,
    env: ctx.env,
    refresh: options.refresh,
    targets: options.targets,
    ...(options.at ? { at: options.at } : {}),
  });
  return plan;
}

/** Reads and checks a plan file saved with `plan -out` (show, apply). */
export async function readSavedPlanFile(ctx: CliContext, file: string): Promise<SavedPlanFile> {
  let text: string;
  try {
    text = await readFile(resolve(ctx.cwd, file), 'utf8');
  } catch (cause) {
    throw new PoolformError('saved-plan-read', `cannot read the saved plan ${file}`, { cause });
  }
  return parseSavedPlan(text);
}

/** Runs `fn` holding the state lock (operation shown to others); waits up to `waitMs`; a dead holder's lock is taken over with a warning. */
export async function withLock<T>(ctx: CliContext, store: StateStore, operation: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  return withStateLock(store, { operation, waitMs, onStale: (holder) => ctx.stderr.write(staleLockMessage(holder)) }, fn);
}

export const newServerIds = createIdGen((n) => randomBytes(n));
export const newIntentId = (): string => randomUUID();

/** The `{upstream_auth_address}` fallback for CLI applies: Settings.public_url's host, else Settings.listen. */
export function cliApiAddress(config: Config): string {
  return defaultUpstreamAuthAddress(config.settings);
}

/** The FILE of `-out FILE` / `-out=FILE` / `--out FILE`. Commander reads `-out` as `-o ut`, so the raw argv decides. */
export function outFile(rawArgs: readonly string[], parsed: string | undefined): { file: string | undefined; consumed: string | undefined } {
  const i = rawArgs.indexOf('-out');
  if (i !== -1 && parsed === 'ut') return { file: rawArgs[i + 1], consumed: rawArgs[i + 1] };
  if (parsed !== undefined && parsed.startsWith('ut=') && rawArgs.some((a) => a.startsWith('-out='))) return { file: parsed.slice(3), consumed: undefined };
  return { file: parsed, consumed: undefined };
}

/** Whether the plan has plan-time errors (e.g. a missing hosted zone): plan exits 1, apply refuses. */
export function hasPlanErrors(plan: Plan): boolean {
  return (plan.fatal_errors?.length ?? 0) > 0;
}

/** One stderr summary of a plan's plan-time errors; exit 1. */
export function reportPlanErrors(ctx: CliContext, plan: Plan, out?: string): void {
  const n = plan.fatal_errors?.length ?? 0;
  ctx.stderr.write(
    errorLine(ctx.command, 'plan-errors', `the plan has ${n} error${n === 1 ? '' : 's'} to fix first${out ? `; it was not saved to ${out}` : ''}:`),
  );
  for (const e of plan.fatal_errors ?? []) ctx.stderr.write(`  ${e}\n`);
  ctx.exitCode = EXIT_FAILURE;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface PlanOptions {
  at?: string;
  json?: boolean;
  format?: string;
  out?: string;
  detailedExitcode?: boolean;
  target: string[];
  refresh?: string | boolean;
  lock?: string | boolean;
  lockTimeout?: string;
  state?: string;
  destroy?: boolean;
}

export async function writeSavedPlan(ctx: CliContext, file: string, plan: Plan, config: Config, statePath: string): Promise<void> {
  const path = resolve(ctx.cwd, file);
  try {
    await writeFile(path, serializeSavedPlan({ config_dir: config.dir, state_path: statePath, config_digest: configDigest(config), plan }), { mode: 0o600 });
  } catch (cause) {
    throw new PoolformError('saved-plan-write', `cannot write the plan to ${file}`, { cause });
  }
}

export function registerPlan(program: Command, ctx: CliContext): void {
  const command = program
    .command('plan')
    .description('show what apply would change (Terraform-style), optionally saving the plan')
    .argument('[dir]', 'config directory', '.')
    .option('--at <iso>', 'decide for this instant instead of now (ISO-8601)')
    .option('--json', 'print the plan as JSON (like terraform show -json); same as --format json')
    .option('--format <format>', 'text (default), json, or markdown (for a pull-request comment)')
    .option('-o, --out <file>', 'save the plan to FILE for `poolform apply FILE` (also -out FILE)')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 1 on error, 2 when there are changes')
    .option('--target <address>', 'limit the plan to this address or address prefix and what it depends on (repeatable)', collect, [])
    .option('--refresh [bool]', 'ask the providers what exists (default true; --refresh=false trusts the state)')
    .option('--lock [bool]', 'take the state lock while planning (default true)')
    .option('--lock-timeout <duration>', 'wait this long for the state lock (default 0: fail at once)')
    .option('--destroy', 'plan the tear-down of everything poolform manages (what `poolform destroy` would do)')
    .allowExcessArguments(true);
  addStoreOptions(command);
  command.action((dirArg: string, options: PlanOptions, cmd: Command) =>
    runCli(ctx, async () => {
      // commander keeps the argv it parsed as `rawArgs` (not in its typings).
      const rawArgs = (program as unknown as { rawArgs?: string[] }).rawArgs ?? [];
      const { file: out, consumed } = outFile(rawArgs, options.out);
      const positionals = cmd.args.filter((a) => a !== consumed);
      if (positionals.length > 1) throw new UsageError(`plan takes one directory, got: ${positionals.join(' ')}`);
      const dir = positionals[0] ?? (dirArg === consumed ? '.' : dirArg);
      const format = options.json ? 'json' : (options.format ?? 'text');
      if (format !== 'text' && format !== 'json' && format !== 'markdown')
        throw new UsageError(`--format takes text, json or markdown, not ${JSON.stringify(format)}`);
      const at = parseAt(options.at);
      if (at && out) {
        throw new UsageError(
          `-out cannot be used with --at: a plan decided for ${options.at ?? ''} describes another instant and is never applied (drop --at to save a plan, or -out to look ahead)`,
        );
      }
      const refresh = parseBool(options.refresh, '--refresh', true);
      const lock = parseBool(options.lock, '--lock', true);
      const waitMs = parseLockTimeout(options.lockTimeout);

      const config = await loadConfigOrReport(ctx, dir);
      if (!config) return;
      // --destroy: plan against the configuration without pools (plan/destroy-config.ts); a saved
      // destroy plan still records the real configuration's digest, so `apply FILE` checks it as usual.
      const world = await openWorld(ctx, options.destroy ? destroyConfig(config) : config, options.state);
      try {
        const make = () => planWorld(ctx, world, { refresh, targets: options.target, ...(at ? { at } : {}) });
        const plan = lock ? await withLock(ctx, world.store, 'plan', waitMs, make) : await make();
        const failed = hasPlanErrors(plan);
        // A plan with plan-time errors is shown but never saved: there is nothing safe to apply.
        if (out && !failed) {
          await writeSavedPlan(ctx, out, plan, config, world.opened.stateDir);
        }
        if (format === 'json') ctx.stdout.write(renderPlanJson(plan));
        else if (format === 'markdown') ctx.stdout.write(renderPlanMarkdown(plan));
        else {
          if (options.destroy) ctx.stdout.write(DESTROY_PLAN_NOTE);
          const text = renderPlanText(plan);
          ctx.stdout.write(planForTerminal(ctx.color, options.destroy ? destroyPlanText(text) : text));
          if (out && !failed) ctx.stdout.write(`\nSaved the plan to: ${out}\nTo perform exactly these actions, run:\n  poolform apply ${out}\n`);
        }
        if (failed) {
          reportPlanErrors(ctx, plan, out);
          return;
        }
        ctx.exitCode = options.detailedExitcode && plan.changes.length > 0 ? EXIT_CHANGES : EXIT_OK;
      } finally {
        await world.opened.close();
      }
    }),
  );
}
