// Connection credentials handed to a session: the server's (fixed server or
// autoscale config) connection_username / connection_password, with the
// single-sign-on placeholders replaced per session:
//   {sso_username} → the request's `user`
//   {sso_cred}     → the request's `credential` (the user's own password)
// SSO assumes the portal authenticated the user against the same directory
// (LDAP/AD) the servers trust; poolform only passes the identity through and
// never stores the credential. Which config entry a server's settings come
// from, and the SSH key material and connection_info around them, are
// connection-answer.ts's.
import { resolveSecret } from '../config/secrets.ts';

export const SSO_USERNAME = '{sso_username}';
export const SSO_CRED = '{sso_cred}';

export interface ConnectionSource {
  username: string;
  /** Raw config value (maybe a secret reference). */
  password: string;
}

export interface Connection {
  username: string;
  password: string;
}

function substitute(text: string, user: string, credential: string | undefined): string {
  let out = text.split(SSO_USERNAME).join(user);
  if (credential !== undefined) out = out.split(SSO_CRED).join(credential);
  return out;
}

/**
 * Renders the credentials for one session. `credential` undefined leaves
 * {sso_cred} in place (the session routes then hand out an empty password: the
 * client asks the user). Throws
 * PoolformError `secret-unresolved` when the password reference cannot be read.
 */
export function renderConnection(
  source: ConnectionSource,
  request: { user: string; credential?: string | undefined },
  secrets: { env: Readonly<Record<string, string | undefined>>; baseDir: string },
): Connection {
  const password = source.password === '' ? '' : resolveSecret(source.password, secrets);
  return {
    username: substitute(source.username, request.user, request.credential),
    password: substitute(password, request.user, request.credential),
  };
}
