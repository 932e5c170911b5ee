// Assembles `poolform serve`: loads the config, opens the store, starts the
// HTTP API (Hono on @hono/node-server) and the reconcile daemon, and stops
// them in the right order. Process concerns (argv, signals, exit codes) stay
// in cli/commands/serve.ts; this module is used in-process by tests and
// benchmarks too.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { serve as serveHttp } from '@hono/node-server';
import type { Hono } from 'hono';
import { loadConfig } from '../config/load.ts';
import { loadConfigInWorker } from '../config/load-worker.ts';
import { sourceDir } from '../config/lookup.ts';
import type { Config, Diagnostic, LoadResult } from '../config/model.ts';
import { openStore, resolveDatabaseUrl, resolveStateDir, stateBackend } from '../state/open.ts';
import type { StateStore } from '../state/types.ts';
import { PoolformError, errorMessage } from '../util/errors.ts';
import { createApp } from '../server/app.ts';
import { resolveApiKeys } from '../server/api-keys.ts';
import { statusNeedsAdmin } from '../server/roles.ts';
import { createMetrics } from '../server/metrics.ts';
import type { Log } from '../server/types.ts';
import { createDaemon } from './daemon.ts';
import type { Daemon } from './daemon.ts';
import { createLogger } from './log.ts';
import type { LogLevel } from './log.ts';
import type { ReconcileFn } from './pipeline.ts';
import { applyPipeline } from './apply-adapter.ts';
import { activeCheck } from './schedule-clock.ts';
import { loadTls } from './tls.ts';
import type { TlsPaths } from './tls.ts';

export const DEFAULT_LISTEN = '127.0.0.1:8080';

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses HOST:PORT (`[::1]:8080` for IPv6; `:8080` = every interface). */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PoolformError('usage', `invalid listen address "${text}": expected HOST:PORT, e.g. 127.0.0.1:8080`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** Whether a bind address only accepts local connections. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** host:port as others reach it (a wildcard bind is reached on loopback). */
export function reachableAddress(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `${h}:${port}`;
}

/** host[:port] of a URL (or of a bare host:port). */
export function hostPortOf(url: string): string {
  try {
    return new URL(url.includes('://') ? url : `http://${url}`).host;
  } catch {
    return url.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  }
}

export interface ServeOptions {
  dir: string;
  /** `--listen`; default Settings.listen, else 127.0.0.1:8080. */
  listen?: string | undefined;
  /** `--state`; default Settings.state.path, else ./state. */
  stateDir?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  log?: Log | undefined;
  logLevel?: LogLevel | undefined;
  reconcile?: ReconcileFn | undefined;
  watch?: boolean | undefined;
  replicaId?: string | undefined;
  /** Open this store instead of the configured one (tests, benchmarks). */
  store?: StateStore | undefined;
  /** Current time in epoch ms (default Date.now): the API, the daemon and apply's records share it (tests). */
  clock?: (() => number) | undefined;
  /** `--tls-cert/--tls-key`: serve HTTPS instead of plain HTTP (files read and checked before anything starts). */
  tls?: TlsPaths | undefined;
}

export interface ServeHandle {
  /** http://host:port of the API. */
  url: string;
  /** host:port servers call back to (default `{upstream_auth_address}`). */
  upstreamAuthAddress: string;
  app: Hono;
  daemon: Daemon;
  store: StateStore;
  stateDir: string;
  /** Graceful stop: no new requests, in-flight ones and the running reconcile finish, lease and lock released, store closed. */
  stop(): Promise<void>;
}

/** Thrown when the configuration is invalid at start (there is no last good config to fall back on). */
export class InvalidConfigError extends PoolformError {
  readonly diagnostics: Diagnostic[];
  constructor(dir: string, diagnostics: Diagnostic[]) {
    super('config-invalid', `configuration in ${dir} is invalid`);
    this.diagnostics = diagnostics;
  }
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const initial: LoadResult = await loadConfig(options.dir);
  const config = initial.config;
  if (!config) throw new InvalidConfigError(options.dir, initial.diagnostics);
  const settings = config.settings;
  // --tls-cert/--tls-key (relative to the working directory) win over Settings.tls (relative to the Settings file).
  const tls = options.tls
    ? loadTls(options.tls, options.cwd)
    : settings.tls
      ? loadTls({ cert: settings.tls.cert_file, key: settings.tls.key_file }, sourceDir(config, 'Settings'))
      : undefined;
  const log: Log = options.log ?? createLogger({ level: options.logLevel ?? settings.log_level ?? 'info' });
  const listen = parseListen(options.listen ?? settings.listen ?? DEFAULT_LISTEN);
  const stateDir = resolveStateDir({ settings, stateDir: options.stateDir, cwd: options.cwd });
  const storeOptions = { settings, stateDir: options.stateDir, env: options.env, cwd: options.cwd, baseDir: sourceDir(config, 'Settings') };
  const store = options.store ?? (await openStore(storeOptions));
  // Lease renewals get their own small connection pool on PostgreSQL: behind a burst of
  // allocations they would otherwise wait for a pooled connection and let leadership lapse.
  let leaseStore: StateStore | undefined;
  if (!options.store && stateBackend(settings) === 'postgres') {
    try {
      // Imported on use: the `pg` driver loads only where PostgreSQL is the backend.
      const { createPostgresStore } = await import('../state/postgres-store.ts');
      leaseStore = await createPostgresStore({ url: resolveDatabaseUrl(storeOptions), poolSize: 2 });
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const closeStores = async (): Promise<void> => {
    if (options.store) return;
    await leaseStore?.close();
    await store.close();
  };
  const metrics = createMetrics();

  let daemon: Daemon | undefined;
  const app = createApp({
    store,
    getConfig: () => daemon?.getConfig(),
    log,
    metrics,
    env: options.env,
    clock: options.clock,
    isActive: activeCheck,
    onQueueEvent: (reason) => daemon?.notify(reason),
    onCheckin: (id, status) => daemon?.notify(`check-in ${id} ${status}`),
    getStatus: () => daemon?.status(),
  });

  let server: Server;
  let address: AddressInfo;
  try {
    ({ server, address } = await new Promise<{ server: Server; address: AddressInfo }>((resolve, reject) => {
      const s = serveHttp(
        tls
          ? { fetch: app.fetch, hostname: listen.host, port: listen.port, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } }
          : { fetch: app.fetch, hostname: listen.host, port: listen.port },
        (info) => resolve({ server: s as Server, address: info }),
      );
      (s as Server).once('error', reject);
    }));
  } catch (err) {
    await closeStores();
    throw new PoolformError('listen-failed', `cannot listen on ${listen.host}:${listen.port}: ${errorMessage(err)}`, { cause: err });
  }
  // `{upstream_auth_address}` is host[:port] (startup scripts add the scheme, as in the reference's
  // `https://{upstream_auth_address}/api/...`), so Settings.public_url contributes its host and port.
  const upstreamAuthAddress = settings.public_url ? hostPortOf(settings.public_url) : reachableAddress(listen.host, address.port);
  const url = `${tls ? 'https' : 'http'}://${reachableAddress(listen.host, address.port)}`;

  daemon = createDaemon({
    dir: options.dir,
    store,
    leaseStore,
    log,
    metrics,
    reconcile: options.reconcile ?? applyPipeline,
    upstreamAuthAddress,
    stateDir,
    env: options.env,
    replicaId: options.replicaId,
    // Reloads run in a worker thread with the load budgets: a huge or hostile config cannot block the API or crash serve.
    load: (dir) => loadConfigInWorker(dir),
    initial,
    watch: options.watch,
    isActive: activeCheck,
    clock: options.clock,
  });
  await daemon.start();
  reportApiKeys(config, options.env, log);
  if (!tls && !isLoopback(listen.host)) {
    log.warn(
      { event: 'serve-plaintext', listen: `${listen.host}:${address.port}` },
      'serving plain HTTP on a non-loopback address: API keys, check-in tokens and connection passwords cross the network unencrypted; use --tls-cert/--tls-key or a TLS proxy in front',
    );
  }
  log.info(
    { event: 'serve-started', url, replica: daemon.replicaId, state_dir: stateDir, policy: settings.apply_policy ?? 'safe' },
    `poolform serve listening on ${url}`,
  );

  let stopping: Promise<void> | undefined;
  const d = daemon;
  return {
    url,
    upstreamAuthAddress,
    app,
    daemon: d,
    store,
    stateDir,
    stop() {
      stopping ??= (async () => {
        log.info({ event: 'serve-stopping' }, 'stopping: no new requests; finishing in-flight work');
        // Stop accepting; in-flight requests finish; idle keep-alive sockets close now, busy ones after a grace period.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 5_000);
        await closed;
        clearTimeout(force);
        await d.stop();
        await closeStores();
        log.info({ event: 'serve-stopped' }, 'stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Says at start, not at the first refused request, when the session API
 * cannot accept anyone: no key configured, or keys whose secrets do not
 * resolve (names and references only, never values).
 */
function reportApiKeys(config: Config, env: Readonly<Record<string, string | undefined>>, log: Log): void {
  const declared = config.settings.api_keys?.length ?? 0;
  if (declared === 0) {
    log.warn({ event: 'api-keys-none' }, 'no Settings.api_keys: the session API refuses every request (check-ins still work)');
    return;
  }
  if (!statusNeedsAdmin(config)) {
    log.warn({ event: 'status-open' }, 'no API key has role admin: /api/v1/status is readable without a key (give one key `role: admin` to protect it)');
  }
  const set = resolveApiKeys(config, env);
  for (const p of set.problems) log.warn({ event: 'api-key-unresolved' }, p);
  if (set.keys.length === 0)
    log.error(
      { event: 'api-keys-unusable', declared, code: 'api-keys-unusable' },
      'error [api-keys-unusable]: no API key resolves: every session request is refused until the secrets are set',
    );
}
