// Per-server check-in tokens: HS256 JWTs (hono/jwt) carrying the server id and
// purpose `checkin`, rendered into the startup script as `{checkin_jwt}` and
// presented back on POST /api/set_server_status?token=... The signing key is
// generated on first start and kept in the state store (secret `checkin-signing-key`).
import { randomBytes } from 'node:crypto';
import { decode, sign, verify } from 'hono/jwt';

export const CHECKIN_KEY_NAME = 'checkin-signing-key';
export const CHECKIN_PURPOSE = 'checkin';
/**
 * `{manager_token}`: what a docker agent registers with (POST
 * /api/v1/agents/register, server/agent-register.ts). Same key and subject
 * as the check-in token, another purpose: neither is accepted in the
 * other's place.
 */
export const MANAGER_PURPOSE = 'agent-register';
export type TokenPurpose = typeof CHECKIN_PURPOSE | typeof MANAGER_PURPOSE;

export function generateSigningKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface CheckinClaims {
  sub: string;
  purpose: TokenPurpose;
  iat: number;
  exp: number;
}

/** Signs a token for `serverId`, valid `lifetimeMs` from `nowMs`. */
export async function signCheckinToken(
  key: string,
  serverId: string,
  nowMs: number,
  lifetimeMs: number,
  purpose: TokenPurpose = CHECKIN_PURPOSE,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const claims: CheckinClaims = { sub: serverId, purpose, iat, exp: iat + Math.floor(lifetimeMs / 1000) };
  return sign({ ...claims }, key, 'HS256');
}

/**
 * The server id a token was issued for, or null when the token is malformed,
 * forged, expired (against `nowMs`) or not a check-in token.
 */
export async function verifyCheckinToken(key: string, token: string, nowMs: number, purpose: TokenPurpose = CHECKIN_PURPOSE): Promise<string | null> {
  try {
    // Only HS256: with an options object hono/jwt does not hold the header's
    // `alg` to the one given, so a token claiming another algorithm is refused
    // here before its signature is even looked at.
    if (decode(token).header.alg !== 'HS256') return null;
    // Time claims are checked against `nowMs` below, not the wall clock, so a
    // replica whose clock differs from the signer's judges tokens the same way.
    const payload = await verify(token, key, { alg: 'HS256', exp: false, nbf: false, iat: false });
    const exp = payload['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= nowMs) return null;
    const nbf = payload['nbf'];
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf * 1000 > nowMs)) return null;
    if (payload['purpose'] !== purpose) return null;
    const sub = payload['sub'];
    return typeof sub === 'string' && sub ? sub : null;
  } catch {
    return null;
  }
}
