// The session API (API key required: `Authorization: Bearer KEY`).
//   POST   /api/v1/sessions {pool, user, zone?, workspace?, credential?, ssh_private_key?, server_id?}
//          201 placed | 202 queued (aggressive scaling) | 503 no_resources
//          server_id: a targeted request (targeted-request.ts)
//   GET    /api/v1/sessions/:id
//   DELETE /api/v1/sessions/:id
//   POST   /api/v1/sessions/:id/keepalive
// Allocation is store.allocateSession: one transaction, so concurrent
// requests (across replicas too) never overfill a server.
import type { Context, Hono } from 'hono';
import type { Config, Pool } from '../config/model.ts';
import { hasRoom } from '../state/placement.ts';
import type { NewSession, PlacementCandidate, PlacementChooser, Resources, ServerRecord, SessionRecord, StateStore } from '../state/types.ts';
import { withIndexedPath } from '../state/capacity-index.ts';
import { errorMessage } from '../util/errors.ts';
import { errorCodeOf } from '../util/error-code.ts';
import type { AppContext } from './context.ts';
import { bearerToken, matchApiKey } from './api-keys.ts';
import type { ConnectionAnswer, SessionSecrets } from './connection-answer.ts';
import { poolNeedsUserKey, poolUsesUserKey, renderConnectionAnswer, serverUsesUserKey } from './connection-answer.ts';
import { readUserSshKey } from './user-ssh-key.ts';
import { judgeTarget, noRoomReason } from './targeted-request.ts';
import { failIfTargetUnavailable } from './orphaned-target.ts';
import { ApiError } from './errors.ts';
import { isUsable, rulesFromConfig } from './placement.ts';
import { readJsonObject, rejectControl, stringField } from './request-body.ts';
import { becameEmptyWhileDraining, retireIfSingleUse } from './single-use.ts';
import { createSessionIdGenerator } from './session-id.ts';
import { maySeeSession, roleOf } from './roles.ts';
import { findPool, findWorkspace } from '../config/lookup.ts';

const AUTH_HEADERS = { 'WWW-Authenticate': 'Bearer realm="poolform"' };
/** Credentials of queued SSO requests kept in memory at most (far beyond any real queue). */
const MAX_PENDING_CREDENTIALS = 10_000;

/** The API key's name, or 401. */
function authenticate(c: Context, ctx: AppContext, config: Config): string {
  const token = bearerToken(c.req.header('Authorization'));
  if (token === null) throw new ApiError(401, 'unauthorized', 'missing API key: send "Authorization: Bearer KEY"', AUTH_HEADERS);
  const keys = ctx.apiKeys(config);
  const name = matchApiKey(keys, token);
  if (name === null) throw new ApiError(401, 'unauthorized', 'invalid API key', AUTH_HEADERS);
  return name;
}

/**
 * The store with getServer answered from one read per server id (or from `known`, what the end
 * of the session reported): the DELETE path asks for the same server twice (single use, drained
 * and empty). A status change by another process in between only delays the reconciler's
 * reaction to the next tick, like every other change it does not see.
 */
function readServerOnce(store: StateStore, known?: ServerRecord): Pick<StateStore, 'getServer' | 'updateServerStatus' | 'activeSessionCount'> {
  const reads = new Map<string, Promise<ServerRecord | undefined>>();
  if (known) reads.set(known.id, Promise.resolve(known));
  return {
    getServer: (id) => {
      let read = reads.get(id);
      if (!read) {
        read = store.getServer(id);
        reads.set(id, read);
      }
      return read;
    },
    updateServerStatus: (id, update) => {
      reads.delete(id);
      return store.updateServerStatus(id, update);
    },
    activeSessionCount: (id) => store.activeSessionCount(id),
  };
}

function serverInfo(server: ServerRecord): Record<string, string | number | null> {
  return {
    id: server.id,
    hostname: server.hostname,
    ip: server.ip,
    port: server.connection_port,
    connection_type: server.connection_type,
    status: server.status,
    status_message: server.status_message,
    status_progress: server.status_progress,
  };
}

function aggressive(config: Config, pool: Pool, zone: string | null, nowMs: number, ctx: AppContext): boolean {
  return (pool.autoscale ?? []).some(
    (a) => a.aggressive_scaling === true && a.enabled !== false && (zone === null || a.zone === zone) && ctx.isActive(config, pool.name, a.name, nowMs),
  );
}

export function registerSessions(app: Hono, ctx: AppContext): void {
  const nextId = createSessionIdGenerator();
  // Per-request secrets ({sso_cred}, the user's SSH key) of queued requests, and
  // the user's SSH key of placed ones, in memory only (never persisted). A
  // session's entry goes when it ends (GET or DELETE) or when the map is full.
  const pendingSecrets = new Map<string, SessionSecrets>();

  function connectionFor(config: Config, server: ServerRecord, session: SessionRecord, secrets: SessionSecrets, apiKey: string): ConnectionAnswer | null {
    try {
      // Key material only to the API key that owns the session.
      return renderConnectionAnswer(config, server, { user: session.user, secrets, includeKeys: session.api_key === apiKey }, ctx.env);
    } catch (err) {
      ctx.log.error(
        { event: 'connection-unresolved', pool: server.pool, server_id: server.id, err: errorMessage(err), code: errorCodeOf(err) },
        `connection credentials cannot be resolved: error [${errorCodeOf(err)}]: ${errorMessage(err)}`,
      );
      return null;
    }
  }

  function keepSecrets(id: string, secrets: SessionSecrets): void {
    if (secrets.credential === undefined && secrets.sshPrivateKey === undefined) return;
    pendingSecrets.set(id, secrets);
    // Sessions that end without a GET or DELETE here (expiry) leave entries: bound the map, oldest out.
    for (const oldest of pendingSecrets.keys()) {
      if (pendingSecrets.size <= MAX_PENDING_CREDENTIALS) break;
      pendingSecrets.delete(oldest);
    }
  }

  /**
   * Docker pools: hand out a staged session for the workspace when one sits on
   * a usable agent. Safe across replicas: ending the staged session is the
   * claim (endSession only changes a running session, and the unique reason
   * tells the winner), and the user's session then takes that room on the
   * same agent through the allocation transaction, so a concurrent request
   * can never overfill the agent in between (it would make this request fall
   * back to normal placement instead).
   */
  async function claimStaged(config: Config, pool: Pool, request: NewSession, nowMs: number): Promise<{ session: SessionRecord; from: string } | undefined> {
    if (pool.type !== 'docker_agent' || request.workspace === null || request.resources === null) return undefined;
    const target = request.target_server_id ?? null;
    const staged = (await ctx.store.listSessions({ pool: pool.name, status: ['running'] })).filter(
      (s) =>
        s.staged &&
        s.workspace === request.workspace &&
        (request.zone === null || s.zone === null || s.zone === request.zone) &&
        (target === null || s.server_id === target),
    );
    if (staged.length === 0) return undefined;
    const rules = rulesFromConfig(config, pool.name, (p, a) => ctx.isActive(config, p, a, nowMs));
    staged.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
    const need = request.resources;
    for (const s of staged) {
      if (s.server_id === null) continue;
      const server = await ctx.store.getServer(s.server_id);
      if (!server || !isUsable(server, rules)) continue;
      if (request.zone !== null && rules.zoneOf(server) !== request.zone) continue;
      const reason = `claimed by ${request.id}`;
      const ended = await ctx.store.endSession(s.id, reason, request.now);
      if (!ended || ended.end_reason !== reason) continue; // another request claimed it first
      const target = s.server_id;
      const onTarget = (c: PlacementCandidate | undefined): string | null => (c && hasRoom(c, need) ? target : null);
      // The indexed path looks the one agent up instead of listing the pool.
      const onlyTarget: PlacementChooser = withIndexedPath(
        (candidates) => onTarget(candidates.find((x) => x.server.id === target)),
        (view) => onTarget(view.get(target)),
      );
      const result = await ctx.store.allocateSession(request, onlyTarget, { onNoCapacity: 'reject' });
      if (result.outcome === 'placed') return { session: result.session, from: s.id };
      return undefined;
    }
    return undefined;
  }

  app.post('/api/v1/sessions', async (c) => {
    const config = ctx.requireConfig();
    const apiKey = authenticate(c, ctx, config);
    const body = await readJsonObject(c);
    const poolName = stringField(body, 'pool', { required: true, max: 200 }) ?? '';
    // The user name is substituted into connection credentials ({sso_username}) and shown to admins.
    const user = rejectControl('user', stringField(body, 'user', { required: true, max: 256 }) ?? '');
    const zone = stringField(body, 'zone', { max: 200 }) ?? null;
    const workspaceName = stringField(body, 'workspace', { max: 200 }) ?? null;
    const credential = stringField(body, 'credential', { max: 4096 });
    const sshPrivateKey = readUserSshKey(body);
    const targetText = stringField(body, 'server_id', { max: 300 });
    const targetInput = targetText === undefined ? null : rejectControl('server_id', targetText);

    const pool = findPool(config, poolName);
    if (!pool) {
      ctx.metrics.sessionRequest('unknown_pool');
      throw new ApiError(404, 'unknown_pool', `no pool named "${poolName}"`);
    }
    if (sshPrivateKey !== undefined && !poolUsesUserKey(pool)) {
      throw new ApiError(
        400,
        'invalid_field',
        `"ssh_private_key" is only accepted by pools whose SSH connections use the user's key (use_user_private_key); pool "${pool.name}" does not`,
      );
    }
    if (sshPrivateKey === undefined && poolNeedsUserKey(pool)) {
      throw new ApiError(
        400,
        'invalid_field',
        `"ssh_private_key" is required: pool "${pool.name}" connects with the user's own SSH key (use_user_private_key)`,
      );
    }
    if (zone !== null && !config.zones.some((z) => z.name === zone)) throw new ApiError(400, 'unknown_zone', `no zone named "${zone}"`);
    let resources: Resources | null = null;
    if (pool.type === 'docker_agent') {
      if (workspaceName === null) throw new ApiError(400, 'invalid_field', `"workspace" is required for docker agent pool "${pool.name}"`);
      const ws = findWorkspace(config, workspaceName);
      if (!ws) throw new ApiError(400, 'unknown_workspace', `no workspace named "${workspaceName}"`);
      resources = { cores: ws.cores ?? 1, memory_mb: ws.memory_mb ?? 2048, gpus: ws.gpus ?? 0 };
    } else if (workspaceName !== null && !config.workspaces.some((w) => w.name === workspaceName)) {
      throw new ApiError(400, 'unknown_workspace', `no workspace named "${workspaceName}"`);
    }
    if (pool.enabled === false) {
      ctx.metrics.sessionRequest('rejected');
      return c.json({ error: 'no_resources', message: `pool "${pool.name}" is disabled` }, 503);
    }

    const nowMs = ctx.clock();
    const now = new Date(nowMs).toISOString();
    const request: NewSession = { id: nextId(nowMs), pool: pool.name, user, zone, workspace: workspaceName, resources, api_key: apiKey, now };

    let queueAllowed = aggressive(config, pool, zone, nowMs, ctx);
    // A targeted request: its server or nothing (queued only for a server still coming up, with aggressive scaling).
    // The id as /api/v1/status lists it, or a fixed server's or agent's configured name
    // (`ws1` for `fixed.<pool>.ws1`); from here on the request names it by its id.
    const targetServer =
      targetInput === null ? undefined : ((await ctx.store.getServer(targetInput)) ?? (await ctx.store.getServer(`fixed.${pool.name}.${targetInput}`)));
    const targetId = targetServer && targetServer.pool === pool.name ? targetServer.id : targetInput;
    const targetRules = targetServer ? rulesFromConfig(config, pool.name, (p, a) => ctx.isActive(config, p, a, nowMs)) : undefined;
    if (targetId !== null) {
      if (!targetServer || !targetRules || targetServer.pool !== pool.name) {
        ctx.metrics.sessionRequest('rejected');
        throw new ApiError(404, 'unknown_server', `no server or agent "${targetId}" in pool "${pool.name}"`);
      }
      const targetZone = targetRules.zoneOf(targetServer);
      if (zone !== null && targetZone !== zone) {
        throw new ApiError(400, 'invalid_field', `server "${targetId}" is in zone ${targetZone ?? '(none)'}, not "${zone}"`);
      }
      const verdict = judgeTarget(targetServer, targetRules, queueAllowed);
      if (verdict.kind === 'reject') {
        ctx.metrics.sessionRequest('rejected');
        ctx.log.info(
          { event: 'session-rejected', pool: pool.name, server_id: targetId, api_key: apiKey },
          `targeted request for ${targetId} refused: ${verdict.reason}`,
        );
        return c.json({ error: 'no_resources', message: `No resources are available for the request: ${verdict.reason}.`, server_id: targetId }, 503);
      }
      if (sshPrivateKey === undefined && serverUsesUserKey(config, targetServer)) {
        throw new ApiError(
          400,
          'invalid_field',
          `"ssh_private_key" is required: server "${targetId}" connects with the user's own SSH key (use_user_private_key)`,
        );
      }
      request.target_server_id = targetId;
      queueAllowed = verdict.kind === 'queue';
    }
    // A pool mixing connections: a request without the user's key only goes where no key is needed.
    const baseChooser = ctx.chooser(config, nowMs);
    const chooser: PlacementChooser =
      sshPrivateKey === undefined && poolUsesUserKey(pool)
        ? (candidates, req) =>
            baseChooser(
              candidates.filter((c) => !serverUsesUserKey(config, c.server)),
              req,
            )
        : baseChooser;

    const staged = await claimStaged(config, pool, request, nowMs);
    const result = staged
      ? { outcome: 'placed' as const, session: staged.session }
      : await ctx.store.allocateSession(request, chooser, { onNoCapacity: queueAllowed ? 'queue' : 'reject' });

    switch (result.outcome) {
      case 'placed': {
        const session = result.session;
        // The store hands back the server it placed on (no second read); else read it.
        const known = 'server' in result ? result.server : undefined;
        const server = session.server_id === null ? undefined : known?.id === session.server_id ? known : await ctx.store.getServer(session.server_id);
        if (!server) throw new Error(`placed session ${session.id} has no server`);
        const secrets: SessionSecrets = { credential, sshPrivateKey };
        const answer = connectionFor(config, server, session, secrets, apiKey);
        if (answer === null) {
          await ctx.store.endSession(session.id, 'connection_unresolved', now, 'failed');
          throw new ApiError(500, 'connection_unresolved', `the connection credentials of pool "${pool.name}" cannot be resolved; see the server log`);
        }
        // The user's key stays for GET /api/v1/sessions/:id (the password credential does not: the client has it).
        if (sshPrivateKey !== undefined) keepSecrets(session.id, { sshPrivateKey });
        ctx.metrics.sessionRequest('placed');
        ctx.log.info(
          { event: 'session-placed', session_id: session.id, pool: pool.name, server_id: server.id, api_key: apiKey, staged_from: staged?.from ?? null },
          `session ${session.id} placed on ${server.id}`,
        );
        // Exactly the documented shape; GET /api/v1/sessions/:id has the details (user, ip, progress...).
        return c.json(
          {
            id: session.id,
            status: 'running',
            pool: pool.name,
            server: { id: server.id, hostname: server.hostname, port: server.connection_port, connection_type: server.connection_type },
            connection: answer.connection,
            connection_info: answer.connection_info,
          },
          201,
        );
      }
      case 'queued': {
        keepSecrets(result.session.id, { credential, sshPrivateKey });
        ctx.metrics.sessionRequest('queued');
        ctx.log.info(
          { event: 'session-queued', session_id: result.session.id, pool: pool.name, position: result.position, api_key: apiKey },
          `session ${result.session.id} queued (position ${result.position})`,
        );
        ctx.onQueueEvent(`session ${result.session.id} queued in pool ${pool.name}`);
        return c.json(
          {
            id: result.session.id,
            status: 'queued',
            position: result.position,
            message: targetServer
              ? `server "${targetServer.id}" is still starting; the request waits for its check-in (aggressive scaling). Poll GET /api/v1/sessions/${result.session.id}`
              : `no server in pool "${pool.name}" has a free slot; a server is being provisioned (aggressive scaling). Poll GET /api/v1/sessions/${result.session.id}`,
          },
          202,
        );
      }
      case 'rejected':
        ctx.metrics.sessionRequest('rejected');
        if (targetServer && targetRules) {
          const on = await ctx.store.listSessions({ server_id: targetServer.id, status: ['running'] });
          const reason = noRoomReason(targetServer, on, resources, targetRules);
          ctx.log.info({ event: 'session-rejected', pool: pool.name, server_id: targetServer.id, api_key: apiKey }, `targeted request refused: ${reason}`);
          return c.json({ error: 'no_resources', message: `No resources are available for the request: ${reason}.`, server_id: targetServer.id }, 503);
        }
        ctx.log.info({ event: 'session-rejected', pool: pool.name, api_key: apiKey }, `no resources in pool ${pool.name}`);
        return c.json(
          { error: 'no_resources', message: `No resources are available in pool "${pool.name}": every usable server is full. Try again later.` },
          503,
        );
      default: {
        const never: never = result;
        throw new Error(`unknown allocation outcome ${String(never)}`);
      }
    }
  });

  async function loadSession(c: Context): Promise<{ config: Config; session: SessionRecord; apiKey: string }> {
    const config = ctx.requireConfig();
    const apiKey = authenticate(c, ctx, config);
    const id = c.req.param('id') ?? '';
    const session = id.length <= 200 ? await ctx.store.getSession(id) : undefined;
    // Another key's session is 404 like a missing one, unless the caller is an admin (roles.ts).
    if (!session || session.staged || !maySeeSession({ name: apiKey, role: roleOf(config, apiKey) }, session)) {
      throw new ApiError(404, 'unknown_session', `no session with id "${id}"`);
    }
    return { config, session, apiKey };
  }

  function statusMessage(session: SessionRecord): string {
    switch (session.status) {
      case 'queued':
        return 'waiting for a server: one is being provisioned';
      case 'running':
        return 'running';
      case 'ended':
        return session.end_reason === 'keepalive_timeout'
          ? 'ended: no keepalive within session_keepalive_timeout'
          : `ended (${session.end_reason ?? 'deleted'})`;
      case 'failed':
        if (session.end_reason === 'target_unavailable') return `failed: server ${session.target_server_id ?? '?'} can no longer take this targeted request`;
        return session.end_reason === 'queue_timeout'
          ? 'failed: no server became available within queue_timeout'
          : `failed (${session.end_reason ?? 'unknown'})`;
      default: {
        const never: never = session.status;
        return String(never);
      }
    }
  }

  app.get('/api/v1/sessions/:id', async (c) => {
    const loaded = await loadSession(c);
    const { config, apiKey } = loaded;
    // A queued targeted request whose server can no longer take it fails now (orphaned-target.ts).
    const session = await failIfTargetUnavailable(ctx.store, ctx.log, loaded.session, new Date(ctx.clock()).toISOString());
    const server = session.server_id === null ? undefined : await ctx.store.getServer(session.server_id);
    const position = session.status === 'queued' ? await ctx.store.queuePosition(session.id) : null;
    const secrets = pendingSecrets.get(session.id) ?? {};
    const answer = session.status === 'running' && server ? connectionFor(config, server, session, secrets, apiKey) : null;
    if (session.status === 'ended' || session.status === 'failed') pendingSecrets.delete(session.id);
    return c.json({
      id: session.id,
      status: session.status,
      message: statusMessage(session),
      pool: session.pool,
      user: session.user,
      zone: session.zone,
      workspace: session.workspace,
      // A targeted request's server (server_id on POST), else null.
      target_server_id: session.target_server_id ?? null,
      position,
      progress: server ? server.status_progress : 0,
      server: server ? serverInfo(server) : null,
      connection: answer?.connection ?? null,
      connection_info: answer?.connection_info ?? null,
      created_at: session.created_at,
      last_keepalive_at: session.last_keepalive_at,
      ended_at: session.ended_at,
      end_reason: session.end_reason,
    });
  });

  // One write transaction ends the session and says what comes next (store.endSessionAs): no read before it.
  app.delete('/api/v1/sessions/:id', async (c) => {
    const config = ctx.requireConfig();
    const apiKey = authenticate(c, ctx, config);
    const id = c.req.param('id') ?? '';
    const nowMs = ctx.clock();
    const now = new Date(nowMs).toISOString();
    // Another key's session is 404 like a missing one, unless the caller is an admin (roles.ts).
    const owner = roleOf(config, apiKey) === 'admin' ? null : apiKey;
    const result = id.length <= 200 ? await ctx.store.endSessionAs(id, owner, 'deleted', now) : { outcome: 'not_found' as const };
    if (result.outcome === 'not_found') throw new ApiError(404, 'unknown_session', `no session with id "${id}"`);
    const session = result.session;
    pendingSecrets.delete(session.id);
    if (result.outcome === 'unchanged') return c.json({ id: session.id, status: session.status, end_reason: session.end_reason });
    ctx.log.info(
      { event: 'session-ended', session_id: session.id, pool: session.pool, server_id: session.server_id, reason: 'deleted' },
      `session ${session.id} ended`,
    );
    if (result.previous === 'running') {
      // The server as the end reported it, for both checks below (single use, drained and now empty).
      const onServer = readServerOnce(ctx.store, result.server);
      const retired = await retireIfSingleUse(onServer, session.server_id, now);
      // A slot freed: place queued requests of the pool (when it has any).
      const assigned = result.queuedInPool ? await ctx.store.assignQueued(session.pool, ctx.chooser(config, nowMs), now) : [];
      for (const s of assigned)
        ctx.log.info({ event: 'session-assigned', session_id: s.id, pool: s.pool, server_id: s.server_id }, `queued session ${s.id} placed`);
      // The reconciler reacts at once when the queue moved, a single-use server must be replaced
      // or a drained server became empty (it is destroyed now, not a reconcile_interval later);
      // other frees wait for the next tick (a reconcile per ended session would hammer the providers).
      if (retired || assigned.length > 0 || (await becameEmptyWhileDraining(onServer, session.server_id))) ctx.onQueueEvent(`session ${session.id} ended`);
    } else {
      ctx.onQueueEvent(`queued session ${session.id} withdrawn`);
    }
    return c.json({ id: session.id, status: session.status, end_reason: session.end_reason });
  });

  app.post('/api/v1/sessions/:id/keepalive', async (c) => {
    const { session } = await loadSession(c);
    if (session.status === 'ended' || session.status === 'failed') {
      throw new ApiError(409, 'session_ended', `session "${session.id}" has ${session.status} (${session.end_reason ?? 'unknown'})`);
    }
    const at = new Date(ctx.clock()).toISOString();
    const updated = await ctx.store.keepalive(session.id, at);
    if (!updated) throw new ApiError(404, 'unknown_session', `no session with id "${session.id}"`);
    return c.json({ id: updated.id, status: updated.status, last_keepalive_at: updated.last_keepalive_at });
  });
}
