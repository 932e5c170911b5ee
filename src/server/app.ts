// The HTTP API of `poolform serve` (Hono). Dependencies come in through
// createApp; the app holds no state of its own beyond caches, so any number
// of replicas can answer requests against one store.
//
//   POST   /api/set_server_status?token=JWT   server check-in (per-server JWT)
//   POST   /api/v1/agents/register            docker agent registration (Bearer {manager_token})
//   POST   /api/v1/sessions                   request a session (API key)
//   GET    /api/v1/sessions/:id               status, progress, queue position
//   DELETE /api/v1/sessions/:id               end it
//   POST   /api/v1/sessions/:id/keepalive     keep it alive
//   GET    /healthz                           liveness
//   GET    /api/v1/status                     pools, servers, sessions, queue, reconcile, config errors, leader
//   GET    /metrics                           Prometheus text
//   GET    /ui/                               read-only web page for operators (admin key; ui/routes.ts)
import { Hono } from 'hono';
import type { Config } from '../config/model.ts';
import { CHECKIN_KEY_NAME, generateSigningKey } from '../auth/checkin-token.ts';
import type { StateStore } from '../state/types.ts';
import { errorMessage } from '../util/errors.ts';
import { errorCodeOf } from '../util/error-code.ts';
import { isClientAbort } from './client-abort.ts';
import { apiBodyLimit } from './body-limit.ts';
import type { KeySet } from './api-keys.ts';
import { resolveApiKeys } from './api-keys.ts';
import { ApiError, errorResponse } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { createMetrics } from './metrics.ts';
import { createPlacementChooser } from './placement.ts';
import { MAX_BODY_BYTES } from './request-body.ts';
import { registerCheckin } from './checkin.ts';
import { registerAgentRegistration } from './agent-register.ts';
import { registerSessions } from './sessions.ts';
import { registerStatus } from './status.ts';
import { registerUi } from './ui/routes.ts';
import { registerSessionList } from './session-list.ts';
import type { Clock, Log, ServeStatus } from './types.ts';
import { silentLog } from './types.ts';
import { findPoolAutoscale } from '../config/lookup.ts';

// AppContext and ActiveCheck live in context.ts (route modules import them from there,
// so app.ts ↔ route modules is no cycle); re-exported for existing importers.
export type { ActiveCheck, AppContext } from './context.ts';
import type { ActiveCheck, AppContext } from './context.ts';

export interface AppDeps {
  store: StateStore;
  /** The configuration being served (the last valid one); undefined until one loaded. */
  getConfig: () => Config | undefined;
  /** Current time: epoch ms or a Date (default Date.now). */
  clock?: Clock | (() => Date);
  log?: Log;
  metrics?: Metrics;
  /** Environment for secret references (API keys, connection passwords). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A request was queued, or a slot freed: the reconciler should run now. */
  onQueueEvent?: (reason: string) => void;
  /** A server checked in (with what it reported and what was stored). */
  onCheckin?: (serverId: string, status: string) => void;
  /** Schedule evaluation; default: a config is active when enabled. */
  isActive?: ActiveCheck;
  /** The daemon's view of itself (leader, last reconcile, config errors). */
  getStatus?: () => ServeStatus | undefined;
}

/** How soon API keys that could not be resolved are tried again. */
const KEY_RETRY_MS = 5_000;

const defaultActive: ActiveCheck = (config, pool, autoscale) => {
  const a = findPoolAutoscale(config, pool, autoscale);
  return a !== undefined && a.enabled !== false;
};

function toMsClock(clock: Clock | (() => Date) | undefined): Clock {
  if (!clock) return Date.now;
  return () => {
    const v = clock();
    return typeof v === 'number' ? v : v.getTime();
  };
}

export function createApp(deps: AppDeps): Hono {
  const log = deps.log ?? silentLog;
  const env = deps.env ?? {};
  const metrics = deps.metrics ?? createMetrics();
  let keyPromise: Promise<string> | undefined;
  /** Resolved keys per config; a set with problems is retried after KEY_RETRY_MS (a key file mid-rotation, a mount that came late). */
  const keyCache = new WeakMap<Config, { set: KeySet; at: number }>();

  const ctx: AppContext = {
    store: deps.store,
    getConfig: deps.getConfig,
    requireConfig: () => {
      const config = deps.getConfig();
      if (!config) throw new ApiError(503, 'not_ready', 'no valid configuration is loaded yet; see /api/v1/status for the config errors');
      return config;
    },
    clock: toMsClock(deps.clock),
    log,
    metrics,
    env,
    onQueueEvent: deps.onQueueEvent ?? (() => {}),
    onCheckin: deps.onCheckin ?? (() => {}),
    isActive: deps.isActive ?? defaultActive,
    getStatus: deps.getStatus ?? (() => undefined),
    signingKey: () => {
      keyPromise ??= deps.store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey).catch((err: unknown) => {
        keyPromise = undefined;
        throw err;
      });
      return keyPromise;
    },
    apiKeys: (config) => {
      const cached = keyCache.get(config);
      const nowMs = ctx.clock();
      if (cached && (cached.set.problems.length === 0 || nowMs - cached.at < KEY_RETRY_MS)) return cached.set;
      const set = resolveApiKeys(config, env);
      // Warn once per distinct problem list, not on every retry.
      if (set.problems.join('\n') !== cached?.set.problems.join('\n')) {
        for (const p of set.problems) log.warn({ event: 'api-key-unresolved' }, p);
        if (cached && set.problems.length === 0) log.info({ event: 'api-keys-resolved', keys: set.keys.length }, 'every API key resolves now');
      }
      keyCache.set(config, { set, at: nowMs });
      return set;
    },
    chooser: (config, nowMs) => createPlacementChooser(config, (pool, autoscale) => ctx.isActive(config, pool, autoscale, nowMs)),
  };

  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      // Refused credentials are worth an audit trail (brute force, a leaked or expired token in use).
      // Only the route and our own message: never the token, the key or the query string.
      if (err.status === 401)
        log.warn({ event: 'auth-failed', method: c.req.method, path: c.req.path, error: err.error }, `${c.req.method} ${c.req.path}: ${err.message}`);
      return errorResponse(c, err.status, err.error, err.message, err.headers);
    }
    // The client went away mid-request (stalled body, closed connection): its doing, not ours.
    if (isClientAbort(err)) {
      log.debug({ event: 'client-aborted', method: c.req.method, path: c.req.path, err: errorMessage(err) }, 'client went away before the request finished');
      return errorResponse(c, 400, 'client_aborted', 'the request was aborted by the client');
    }
    // Our fault: log the message (never bodies or secrets), answer without internals.
    log.error(
      { event: 'http-error', method: c.req.method, path: c.req.path, err: errorMessage(err), code: errorCodeOf(err) },
      `request failed: error [${errorCodeOf(err)}]`,
    );
    return errorResponse(c, 500, 'internal', 'internal error; see the server log');
  });
  app.notFound((c) => errorResponse(c, 404, 'not_found', `no such endpoint: ${c.req.method} ${c.req.path}`));

  app.use(
    '/api/*',
    apiBodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => errorResponse(c, 413, 'payload_too_large', `request body is larger than ${MAX_BODY_BYTES} bytes`),
    }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  registerCheckin(app, ctx);
  registerAgentRegistration(app, ctx);
  registerSessions(app, ctx);
  registerSessionList(app, ctx);
  registerStatus(app, ctx);
  // The operator web page (/ui/, `/` redirects there; Settings.ui: false turns it off).
  registerUi(app, ctx);
  return app;
}
