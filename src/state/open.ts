// Chooses and opens the state backend from Settings.state:
// - sqlite (default): `<state dir>/poolform.db`; the state dir is `--state PATH`,
//   else Settings.state.path, else ./state, relative to the working directory.
// - postgres: Settings.state.url, a secret reference (e.g.
//   ${env:POOLFORM_DATABASE_URL}) resolved here, never printed.
// The state dir is also where the local provider keeps its data, so it is
// resolved for both backends.
import { isAbsolute, resolve } from 'node:path';
import type { Settings } from '../config/model.ts';
import { resolveSecret } from '../config/secrets.ts';
import { PoolformError } from '../util/errors.ts';
import { createSqliteStore, sqliteFileFor } from './sqlite-store.ts';
import type { StateStore } from './types.ts';

export type StateBackend = 'sqlite' | 'postgres';

export const DEFAULT_STATE_DIR = 'state';

export interface OpenStoreOptions {
  /** Loaded Settings (undefined: all defaults). */
  settings?: Settings | undefined;
  /** `--state PATH`: overrides Settings.state.path. */
  stateDir?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Directory `${file:...}` in Settings.state.url is relative to (the Settings file's directory); default cwd. */
  baseDir?: string | undefined;
}

/** Absolute state directory: `--state`, else Settings.state.path, else ./state; relative paths against cwd. */
export function resolveStateDir(options: Pick<OpenStoreOptions, 'settings' | 'stateDir' | 'cwd'>): string {
  const path = options.stateDir ?? options.settings?.state?.path ?? DEFAULT_STATE_DIR;
  return isAbsolute(path) ? path : resolve(options.cwd, path);
}

export function stateBackend(settings: Settings | undefined): StateBackend {
  return settings?.state?.backend === 'postgres' ? 'postgres' : 'sqlite';
}

/** The PostgreSQL URL with its secret reference resolved. Throws PoolformError naming the reference, never the value. */
export function resolveDatabaseUrl(options: OpenStoreOptions): string {
  const url = options.settings?.state?.url;
  if (url === undefined || url.trim() === '') {
    throw new PoolformError(
      'state-config',
      'Settings.state.backend is postgres but Settings.state.url is not set (e.g. url: ${env:POOLFORM_DATABASE_URL})',
    );
  }
  return resolveSecret(url, { env: options.env, baseDir: options.baseDir ?? options.cwd });
}

/** A URL fit to print: scheme, host, port and database, no user or password. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable database URL)';
  }
}

/** Where the state lives, for messages: `sqlite /abs/state/poolform.db` or `postgres postgres://host:5432/db`. */
export function describeStore(options: OpenStoreOptions): string {
  if (stateBackend(options.settings) === 'sqlite') return `sqlite ${sqliteFileFor(resolveStateDir(options))}`;
  try {
    return `postgres ${redactDatabaseUrl(resolveDatabaseUrl(options))}`;
  } catch {
    return 'postgres (url unresolved)';
  }
}

/** Opens the configured backend and applies pending migrations. */
export async function openStore(options: OpenStoreOptions): Promise<StateStore> {
  if (stateBackend(options.settings) === 'postgres') {
    // Imported on use: the `pg` driver is loaded only where PostgreSQL is the backend.
    const { createPostgresStore } = await import('./postgres-store.ts');
    return createPostgresStore({ url: resolveDatabaseUrl(options) });
  }
  return createSqliteStore({ path: sqliteFileFor(resolveStateDir(options)) });
}
