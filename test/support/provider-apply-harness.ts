// Shared scaffolding of the provider plan/apply/crash suites
// (test/<provider>-apply.test.ts): a throw-away config directory, `poolform
// apply` child processes killed after N mutating provider calls
// (POOLFORM_CRASH_AFTER), in-process reconcile rounds with a shifted clock, and
// the state-side halves of the convergence checks. What is provider-specific
// (the config text, the registry factories, what counts as an orphan in the
// fake) stays in each suite and comes in as arguments.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.ts';
import { planOnce, reconcileOnce } from '../../src/apply/reconcile.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/model.ts';
import { createSeededIdGen } from '../../src/plan/names.ts';
import { withCallCounter } from '../../src/providers/crash-after.ts';
import type { ProviderRegistry } from '../../src/providers/registry.ts';
import { createSqliteStore } from '../../src/state/sqlite-store.ts';
import { type ChildRun, runChild } from '../fixtures/plan/harness.ts';

/** A config directory with one YAML file, a state path and the child's environment. */
export interface ApplyWorkspace {
  root: string;
  config: string;
  state: string;
  /** The YAML file inside `config`. */
  file: string;
  env: Record<string, string>;
}

export interface WorkspaceOptions {
  /** mkdtemp prefix, e.g. 'poolform-gcp-apply-'. */
  prefix: string;
  /** Name of the YAML file in the config directory. */
  fileName: string;
  text: string;
  env?: Record<string, string>;
  /** Files written beside the YAML (name → content), e.g. a key a `${file:}` reference reads. */
  configFiles?: Record<string, string>;
  /** Files written in the workspace root (name → content); their paths come back to `env` through `envFromRoot`. */
  rootFiles?: Record<string, string>;
  /** Environment built from the root files' paths (name → absolute path). */
  envFromRoot?: (paths: Record<string, string>) => Record<string, string>;
}

export function createApplyWorkspace(options: WorkspaceOptions): ApplyWorkspace {
  const root = mkdtempSync(join(tmpdir(), options.prefix));
  const config = join(root, 'config');
  mkdirSync(config);
  const file = join(config, options.fileName);
  writeFileSync(file, options.text);
  for (const [name, content] of Object.entries(options.configFiles ?? {})) writeFileSync(join(config, name), content);
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(options.rootFiles ?? {})) {
    paths[name] = join(root, name);
    writeFileSync(paths[name], content);
  }
  const env = { ...options.env, ...options.envFromRoot?.(paths) };
  return { root, config, state: join(root, 'state'), file, env };
}

export function removeWorkspace(ws: ApplyWorkspace): void {
  rmSync(ws.root, { recursive: true, force: true });
}

/** The workspace's config, or a thrown error with the diagnostics. */
export async function loadWorkspaceConfig(ws: ApplyWorkspace): Promise<Config> {
  const loaded = await loadConfig(ws.config);
  if (!loaded.config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.config;
}

/** Rewrites `minimum_available_sessions: from` to `to` in the workspace's YAML. */
export function setMinimumSessions(ws: ApplyWorkspace, from: number, to: number): void {
  writeFileSync(ws.file, readFileSync(ws.file, 'utf8').replace(`minimum_available_sessions: ${from}`, `minimum_available_sessions: ${to}`));
}

/** Builds a provider registry for the workspace's config, with the provider clocks at `now` when given. */
export type RegistryFor = (config: Config, now?: () => number) => ProviderRegistry;

/** `poolform apply --auto-approve` as a child process, SIGKILLed after `crashAfter` mutating provider calls when given. */
export function runApply(ws: ApplyWorkspace, options: { crashAfter?: number; env?: Record<string, string> } = {}): Promise<ChildRun> {
  const env = { ...ws.env, ...options.env };
  return runChild(
    ['apply', ws.config, '--state', ws.state, '--auto-approve'],
    options.crashAfter === undefined ? env : { ...env, POOLFORM_CRASH_AFTER: String(options.crashAfter) },
  );
}

/** An apply killed after `crashAfter` mutating calls: it must die by SIGKILL (and, with `cleanStderr`, having written nothing to stderr). */
export async function expectKilledApply(ws: ApplyWorkspace, crashAfter: number, options: { cleanStderr?: boolean } = {}): Promise<ChildRun> {
  const run = await runApply(ws, { crashAfter });
  if (options.cleanStderr ?? true) expect(run.stderr).toBe('');
  expect(run.signal).toBe('SIGKILL');
  return run;
}

/** An apply that must exit 0. */
export async function expectApply(ws: ApplyWorkspace): Promise<ChildRun> {
  const run = await runApply(ws);
  expect(run.code).toBe(0);
  return run;
}

/** Whether an apply's output lists intents the planner waits for (a create an interrupted apply may have started). */
export const isWaiting = (run: ChildRun): boolean => run.stdout.includes('Waiting (nothing is planned for these yet)');

/** `poolform plan --detailed-exitcode` as a child process must say "No changes." and exit 0. */
export async function expectCliNoChanges(ws: ApplyWorkspace): Promise<void> {
  const plan = await runChild(['plan', ws.config, '--state', ws.state, '--detailed-exitcode'], ws.env);
  expect(plan.stderr).toBe('');
  expect(plan.stdout).toContain('No changes.');
  expect(plan.code).toBe(0);
}

/** An in-process plan (the same planner as the CLI) must have no changes. */
export async function expectNoChanges(ws: ApplyWorkspace, registryFor: RegistryFor): Promise<void> {
  const config = await loadWorkspaceConfig(ws);
  const store = await createSqliteStore({ path: ws.state });
  try {
    const { plan } = await planOnce({ config, store, registry: registryFor(config), clock: () => new Date(), idGen: createSeededIdGen(13) });
    expect(plan.changes).toEqual([]);
  } finally {
    await store.close();
  }
}

/** The state after convergence: no intent left; the sorted server ids of its VM resources. */
export async function convergedVmIds(ws: ApplyWorkspace): Promise<string[]> {
  const store = await createSqliteStore({ path: ws.state });
  try {
    const snap = await store.snapshot();
    expect(snap.intents).toEqual([]);
    return snap.resources
      .filter((r) => r.type === 'vm')
      .map((r) => String(r.attributes['server_id']))
      .sort();
  } finally {
    await store.close();
  }
}

/** Never two VMs for one server id, never more than wanted (the ids the fake's live VMs carry). */
export function expectNoDuplicate(serverIds: readonly unknown[], wanted: number): void {
  expect(new Set(serverIds).size).toBe(serverIds.length);
  expect(serverIds.length).toBeLessThanOrEqual(wanted);
}

/**
 * One in-process reconcile round, `shiftMs` "later" (provider and planner
 * clocks shifted; 16 minutes is past the planner's 10-minute wait for a create
 * an interrupted apply may have started); it must fail nothing.
 */
export async function reconcileLater(ws: ApplyWorkspace, registryFor: RegistryFor, options: { shiftMs?: number; seed?: number } = {}): Promise<void> {
  const shift = options.shiftMs ?? 16 * 60_000;
  const later = () => Date.now() + shift;
  const config = await loadWorkspaceConfig(ws);
  const store = await createSqliteStore({ path: ws.state });
  try {
    const round = await reconcileOnce({
      config,
      store,
      registry: registryFor(config, later),
      clock: () => new Date(later()),
      idGen: createSeededIdGen(options.seed ?? 11),
      newId: randomUUID,
      env: ws.env,
      apiAddress: '127.0.0.1:9',
    });
    expect(round.applied.failures).toEqual([]);
  } finally {
    await store.close();
  }
}

/**
 * An in-process plan + apply that must fail nothing; returns how many
 * mutating provider calls the apply made and a re-plan over the same store and
 * registry (for the steady-state listing budget). The caller closes nothing:
 * `close` closes the store.
 */
export async function applyInProcess(
  ws: ApplyWorkspace,
  registryFor: RegistryFor,
): Promise<{ mutating: number; replan: () => ReturnType<typeof planOnce>; close: () => Promise<void> }> {
  const config = await loadWorkspaceConfig(ws);
  const store = await createSqliteStore({ path: ws.state });
  try {
    const { registry, counter } = withCallCounter(registryFor(config));
    const deps = { config, store, registry, clock: () => new Date(), idGen: createSeededIdGen(3) };
    const { plan } = await planOnce(deps);
    counter.reset();
    const result = await applyPlan(plan, { ...deps, newId: randomUUID, env: ws.env, apiAddress: '127.0.0.1:9' });
    expect(result.failures).toEqual([]);
    return { mutating: counter.mutating, replan: () => planOnce(deps), close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * Reconcile dependencies whose clocks (planner and providers) read `Date.now()
 * + shift()`, for the refusal/backoff scenarios that step time forward.
 */
export function shiftedDeps(
  ws: ApplyWorkspace,
  config: Config,
  store: Parameters<typeof reconcileOnce>[0]['store'],
  registryFor: RegistryFor,
  shift: () => number,
  seed = 5,
): Parameters<typeof reconcileOnce>[0] {
  const now = () => Date.now() + shift();
  return {
    config,
    store,
    registry: registryFor(config, now),
    clock: () => new Date(now()),
    idGen: createSeededIdGen(seed),
    newId: randomUUID,
    env: ws.env,
    apiAddress: '127.0.0.1:9',
  };
}

/** The provider-specific checks a crash scenario runs between the applies. */
export interface CrashChecks {
  /** After the apply that followed the kill: no server twice, none beyond what is wanted. */
  noDuplicate(): void;
  /** One in-process reconcile past the planner's wait (when the apply left intents waiting). */
  reconcileLater(): Promise<void>;
  /** State, the fake and plan agree on `expected` servers (`cli`: plan as a child process). */
  converged(expected: number, cli: boolean): Promise<void>;
}

/**
 * A create apply killed after `crashAfter` mutating calls, then an apply that
 * must exit 0, leave no duplicate and (with a later reconcile when it waited)
 * converge on `wanted` servers. Returns the second apply's run.
 */
export async function crashCreateThenConverge(
  ws: ApplyWorkspace,
  crashAfter: number,
  wanted: number,
  checks: CrashChecks,
  options: { cli?: boolean } = {},
): Promise<ChildRun> {
  await expectKilledApply(ws, crashAfter);
  const again = await expectApply(ws);
  checks.noDuplicate();
  if (isWaiting(again)) await checks.reconcileLater();
  await checks.converged(wanted, options.cli ?? false);
  return again;
}

/** Scale from `from` to zero with an apply killed after `crashAfter` mutating calls; the next apply must converge on none. */
export async function crashScaleDownThenConverge(ws: ApplyWorkspace, crashAfter: number, from: number, checks: CrashChecks): Promise<void> {
  setMinimumSessions(ws, from, 0);
  await expectKilledApply(ws, crashAfter, { cleanStderr: false });
  await expectApply(ws);
  await checks.converged(0, false);
}
