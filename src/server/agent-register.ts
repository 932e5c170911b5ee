// POST /api/v1/agents/register — how a docker agent created by an autoscale
// config says it is ready. Its startup script gets `{manager_token}` (a
// per-agent HS256 JWT, purpose `agent-register`, as long-lived as the
// check-in token) and calls:
//
//   curl -X POST -H "Authorization: Bearer {manager_token}" \
//        -H 'Content-Type: application/json' -d '{{}}' \
//        http://{upstream_auth_address}/api/v1/agents/register
//
// Body (optional): the check-in's {status, status_message, status_progress};
// status defaults to "running". Registering running is a check-in running
// (the agent takes sessions from then on, queued requests are placed); the
// check-in URL with {checkin_jwt} works for agents as well. A token that is
// missing, forged, expired, a check-in token, or for a server that is not a
// docker agent → 401 and nothing changes.
import type { Hono } from 'hono';
import { MANAGER_PURPOSE, verifyCheckinToken } from '../auth/checkin-token.ts';
import type { AppContext } from './context.ts';
import { bearerToken } from './api-keys.ts';
import { applyCheckin } from './checkin.ts';
import { ApiError } from './errors.ts';
import { findPool } from '../config/lookup.ts';

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'invalid_token', message, { 'WWW-Authenticate': 'Bearer realm="poolform-agents"' });
}

export function registerAgentRegistration(app: Hono, ctx: AppContext): void {
  app.post('/api/v1/agents/register', async (c) => {
    const token = bearerToken(c.req.header('Authorization'));
    if (token === null) throw unauthorized('missing manager token: send "Authorization: Bearer {manager_token}"');
    const nowMs = ctx.clock();
    const serverId = await verifyCheckinToken(await ctx.signingKey(), token, nowMs, MANAGER_PURPOSE);
    if (serverId === null) throw unauthorized('manager token is malformed, expired or not signed by this poolform');
    const server = await ctx.store.getServer(serverId);
    if (!server) throw unauthorized('manager token belongs to an agent poolform no longer knows');
    const cfg = ctx.getConfig();
    const pool = cfg ? findPool(cfg, server.pool) : undefined;
    if (server.capacity === null && pool?.type !== 'docker_agent') throw unauthorized('manager token belongs to a server that is not a docker agent');
    const text = await c.req.text();
    let body: Record<string, unknown> = {};
    if (text.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiError(400, 'invalid_json', 'request body is not valid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'invalid_body', 'request body must be a JSON object');
      body = parsed as Record<string, unknown>;
    }
    const result = await applyCheckin(ctx, server, { status: 'running', ...body }, nowMs);
    return c.json({ ...result, registered: result.status === 'running' });
  });
}
