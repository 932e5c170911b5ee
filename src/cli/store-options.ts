// How CLI commands find and open the state store.
//
// Options (added by `addStoreOptions`):
//   --state PATH   state directory (SQLite file and local provider data); overrides Settings.state.path
//   --config DIR   config directory whose Settings.state says which backend to use
//
// Which Settings apply, in order:
//   1. settings handed in by the caller (plan/apply/serve, which load DIR themselves);
//   2. `--config DIR` (load errors are fatal);
//   3. the working directory, when it holds *.yaml / *.yml files (load errors are
//      fatal, unless --state PATH was given: then they are ignored);
//   4. defaults: SQLite in ./state.
// `--state PATH` always overrides the state directory.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config, Settings } from '../config/model.ts';
import { PoolformError } from '../util/errors.ts';
import { describeStore, openStore, resolveStateDir, stateBackend, type StateBackend } from '../state/open.ts';
import { sqliteFileFor } from '../state/sqlite-store.ts';
import type { StateStore } from '../state/types.ts';
import { EXIT_FAILURE, type CliContext } from './context.ts';
import { thrownErrorLine } from './error-line.ts';

export interface StoreOptionValues {
  /** `--state PATH` */
  state?: string | undefined;
  /** `--config DIR` */
  config?: string | undefined;
}

export interface CliStore {
  store: StateStore;
  backend: StateBackend;
  /** Absolute state directory (SQLite file's directory; local provider data). */
  stateDir: string;
  /** Human description without secrets, e.g. `sqlite /abs/state/poolform.db`. */
  description: string;
  /** The Settings used (defaults when no config was found). */
  settings: Settings | undefined;
  close(): Promise<void>;
}

/** Adds `--state PATH` and `--config DIR` to a command (commands without a config argument: state, force-unlock). */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--state <path>', 'state directory (default: Settings.state.path, else ./state)')
    .option('--config <dir>', 'config directory whose Settings.state selects the backend (default: . when it holds YAML files)');
}

function hasYaml(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => /\.ya?ml$/i.test(name) && !name.startsWith('.'));
  } catch {
    return false;
  }
}

/** The directory `${file:...}` references in Settings resolve against: the Settings file's own directory. */
function settingsBaseDir(config: Config): string {
  const source = config.sources['Settings'];
  return source ? dirname(join(config.dir, source.file)) : config.dir;
}

async function loadSettings(ctx: CliContext, dir: string): Promise<{ settings: Settings; baseDir: string }> {
  const result = await loadConfig(resolve(ctx.cwd, dir));
  if (!result.config) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    const lines = errors.slice(0, 5).map((d) => `  ${d.file ? `${d.file}:${d.line}:${d.column}: ` : ''}${d.message}`);
    throw new PoolformError(
      'config-invalid',
      `the configuration in ${dir} has errors (run \`poolform validate ${dir}\`; or pass --state PATH / --config DIR):\n${lines.join('\n')}`,
    );
  }
  return { settings: result.config.settings, baseDir: settingsBaseDir(result.config) };
}

export interface OpenCliStoreOptions {
  /**
   * For commands that only inspect or edit existing state: a SQLite state that
   * does not exist is an error (PoolformError `state-missing`) instead of being
   * created empty (e.g. by a mistyped --state path).
   */
  mustExist?: boolean;
}

/**
 * Opens the state store for a CLI command; the caller must `close()` it.
 * Plan/apply/serve pass the config they loaded as `loaded` (its Settings win
 * over `--config`); `values.state` always overrides the state directory.
 */
export async function openCliStore(
  ctx: CliContext,
  values: StoreOptionValues,
  loaded?: { settings: Settings; dir: string } | Config,
  open: OpenCliStoreOptions = {},
): Promise<CliStore> {
  let settings: Settings | undefined;
  let baseDir = ctx.cwd;
  if (loaded) {
    settings = loaded.settings;
    baseDir = 'sources' in loaded ? settingsBaseDir(loaded) : loaded.dir;
  } else if (values.config !== undefined) {
    ({ settings, baseDir } = await loadSettings(ctx, values.config));
  } else if (hasYaml(ctx.cwd)) {
    try {
      ({ settings, baseDir } = await loadSettings(ctx, '.'));
    } catch (err) {
      // With an explicit --state, YAML in the working directory that is not a valid config is not ours to judge.
      if (values.state === undefined) throw err;
    }
  }
  const options = { settings, stateDir: values.state, env: ctx.env, cwd: ctx.cwd, baseDir };
  if (open.mustExist && stateBackend(settings) === 'sqlite') {
    const file = sqliteFileFor(resolveStateDir(options));
    if (!existsSync(file)) {
      throw new PoolformError('state-missing', `no state at ${file} (nothing applied yet? otherwise pass --state PATH or --config DIR)`);
    }
  }
  const store = await openStore(options);
  return {
    store,
    backend: stateBackend(settings),
    stateDir: resolveStateDir(options),
    description: describeStore(options),
    settings,
    close: () => store.close(),
  };
}

/** Opens the store, runs `fn`, and closes the store whatever happens. */
export async function withCliStore<T>(
  ctx: CliContext,
  values: StoreOptionValues,
  fn: (opened: CliStore) => Promise<T>,
  loaded?: { settings: Settings; dir: string } | Config,
  open: OpenCliStoreOptions = {},
): Promise<T> {
  const opened = await openCliStore(ctx, values, loaded, open);
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

/**
 * Runs a command action: operational errors (PoolformError, LockHeldError,
 * a bad duration) become one `poolform <command>: error [code]: ...` line on stderr and exit code 1.
 */
export async function runCommand(ctx: CliContext, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    ctx.stderr.write(thrownErrorLine(ctx.command, err));
    ctx.exitCode = EXIT_FAILURE;
  }
}
