// API key roles (Settings.api_keys[].role):
//
//   sessions (default)  request sessions; read, keep alive and end only the
//                       sessions it created. Another key's session answers 404,
//                       exactly like a session that does not exist: a key cannot
//                       even learn which ids are in use.
//   admin               every session (list, read, keep alive, end), and
//                       /api/v1/status once any admin key is configured.
//
// Without any admin key, /api/v1/status stays readable without a key (as
// before roles existed); `serve` says so at start.
import type { Context } from 'hono';
import type { Config } from '../config/model.ts';
import type { SessionRecord } from '../state/types.ts';
import type { AppContext } from './context.ts';
import { bearerToken, matchApiKey } from './api-keys.ts';
import { ApiError } from './errors.ts';

export type ApiKeyRole = 'sessions' | 'admin';

/** The caller of the session API: the matched key's name and role. */
export interface ApiCaller {
  name: string;
  role: ApiKeyRole;
}

/** The role of the key named `name` in `config` (default `sessions`). */
export function roleOf(config: Config, name: string): ApiKeyRole {
  const key = config.settings.api_keys?.find((k) => k.name === name);
  return key?.role === 'admin' ? 'admin' : 'sessions';
}

/** Whether `caller` may see (and act on) `session`: admins all, others only what their key created. */
export function maySeeSession(caller: ApiCaller, session: Pick<SessionRecord, 'api_key'>): boolean {
  return caller.role === 'admin' || session.api_key === caller.name;
}

/** Whether status needs an admin key: as soon as one is configured. */
export function statusNeedsAdmin(config: Config | undefined): boolean {
  return (config?.settings.api_keys ?? []).some((k) => k.role === 'admin');
}

const AUTH_HEADERS = { 'WWW-Authenticate': 'Bearer realm="poolform"' };

/** The caller of a request with `Authorization: Bearer KEY`, or 401. */
export function authenticateCaller(c: Context, ctx: AppContext, config: Config): ApiCaller {
  const token = bearerToken(c.req.header('Authorization'));
  if (token === null) throw new ApiError(401, 'unauthorized', 'missing API key: send "Authorization: Bearer KEY"', AUTH_HEADERS);
  const name = matchApiKey(ctx.apiKeys(config), token);
  if (name === null) throw new ApiError(401, 'unauthorized', 'invalid API key', AUTH_HEADERS);
  return { name, role: roleOf(config, name) };
}

/** /api/v1/status: an admin key once one is configured (401 without a valid key, 403 for a sessions key). */
export function requireStatusAccess(c: Context, ctx: AppContext, config: Config | undefined): void {
  if (!config || !statusNeedsAdmin(config)) return;
  const caller = authenticateCaller(c, ctx, config);
  if (caller.role !== 'admin') throw new ApiError(403, 'forbidden', `API key ${caller.name} has role sessions; /api/v1/status needs an admin key`);
}
