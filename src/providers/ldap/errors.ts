// LDAP/TLS/socket failures → PoolformError with a message an admin can act on.
// The message names the LdapConfig, the DN and (for access errors) the exact
// right the bind account lacks. Secrets never enter a message: messages are
// built from fixed text, DNs and the server's diagnostic text, and the
// server's text and the cause are scrubbed of the passwords in play anyway.
import { ResultCodeError } from 'ldapts';
import { PoolformError } from '../../util/errors.ts';
import type { LdapErrorCode } from '../../util/errors.ts';

/** What the provider was doing; decides which right an access error names. */
export type LdapOperation = 'connect' | 'bind' | 'search' | 'read' | 'add' | 'set-password' | 'delete' | 'delete-tree';

export interface LdapErrorContext {
  /** LdapConfig name. */
  config: string;
  url: string;
  bindDn: string;
  operation: LdapOperation;
  /** The DN operated on (the OU for add/search, the record for set-password/delete). */
  dn?: string;
  /** The OU the record lives in, for naming where a right must be delegated. */
  containerDn?: string;
  /** Values that must never be shown (passwords). */
  secrets?: readonly string[];
}

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);
const TLS_VALIDITY_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

// Delegation wizard names of the rights, as admins see them in ADUC.
const RIGHT_FOR: Record<LdapOperation, string> = {
  connect: 'connect',
  bind: 'bind',
  search: 'Read (List contents, Read all properties) on computer objects',
  read: 'Read all properties on computer objects',
  add: 'Create Computer objects (and write cn, sAMAccountName, userAccountControl, dNSHostName, description, unicodePwd)',
  'set-password': 'Reset password on computer objects',
  delete: 'Delete Computer objects',
  'delete-tree': 'Delete subtree on computer objects (needed by ad_recursive_cleanup)',
};

export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('(sensitive)');
  return out;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const c = (error as { code: unknown }).code;
    if (typeof c === 'string') return c;
  }
  return undefined;
}

/** AD's diagnostic text in a ResultCodeError message, compacted to one line. */
function serverText(error: Error, secrets: readonly string[]): string {
  return scrub(error.message, secrets).replace(/\s+/g, ' ').trim();
}

/** Maps any failure of an LDAP call to a PoolformError (already-mapped errors pass through). */
export function mapLdapError(error: unknown, ctx: LdapErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  const secrets = ctx.secrets ?? [];
  const prefix = `LdapConfig ${ctx.config}`;
  const message = error instanceof Error ? error.message : String(error);
  const safeCause = new Error(scrub(message, secrets));
  const details: Record<string, unknown> = { url: ctx.url, operation: ctx.operation, ...(ctx.dn ? { dn: ctx.dn } : {}) };
  const fail = (code: LdapErrorCode, text: string, retryable = false): PoolformError => {
    const d: Record<string, unknown> = { ...details };
    const c = codeOf(error);
    if (c !== undefined) d['cause_code'] = c;
    if (error instanceof ResultCodeError) d['ldap_result_code'] = error.code;
    return new PoolformError(code, `${prefix}: ${scrub(text, secrets)}`, { retryable, cause: safeCause, details: d });
  };
  const where = ctx.containerDn ?? ctx.dn ?? '(unknown DN)';

  if (error instanceof ResultCodeError) {
    const text = serverText(error, secrets);
    switch (error.code) {
      case 49:
        if (ctx.operation === 'bind') {
          return fail(
            'ldap-invalid-credentials',
            `the LDAP server rejected the bind credentials for ${JSON.stringify(ctx.bindDn)} (invalid credentials): check bind_dn and bind_password (${text})`,
          );
        }
        return fail('ldap-invalid-credentials', `invalid credentials (${text})`);
      case 50:
        return fail(
          'ldap-insufficient-access',
          `the bind account ${JSON.stringify(ctx.bindDn)} lacks the right "${RIGHT_FOR[ctx.operation]}" on ${where}: delegate it on the OU (see "Rights the bind account needs" in docs/active-directory.md) (${text})`,
        );
      case 32:
        if (ctx.operation === 'set-password' || ctx.operation === 'delete' || ctx.operation === 'delete-tree' || ctx.operation === 'read') {
          return fail('ldap-no-such-object', `${ctx.dn ?? 'the record'} does not exist (noSuchObject) (${text})`);
        }
        return fail('ldap-ou-not-found', `the OU ${where} was not found (noSuchObject): check ad_computer_container_dn and search_base (${text})`);
      case 68:
        return fail(
          'ldap-name-collision',
          `an object named ${ctx.dn ?? ''} already exists and is not poolform's: pick another name; poolform never takes over records it did not create (${text})`,
        );
      case 8:
      case 13:
        return fail('ldap-encryption-required', `the server requires an encrypted connection (${text}): use an ldaps:// URL`);
      case 19:
      case 53:
        if ((ctx.operation === 'add' || ctx.operation === 'set-password') && /password|052D|unicodePwd/i.test(text)) {
          return fail('ldap-password-rejected', `the domain refused the computer's password for ${ctx.dn ?? where} (password policy or encryption) (${text})`);
        }
        return fail('ldap-unwilling', `the server refused the ${ctx.operation} of ${ctx.dn ?? where} (${text})`);
      case 66:
        return fail(
          'ldap-not-leaf',
          `${ctx.dn ?? 'the record'} has child objects: set ad_recursive_cleanup: true on the autoscale config to delete them with it (${text})`,
        );
      case 34:
        return fail('ldap-invalid-dn', `invalid DN ${JSON.stringify(ctx.dn ?? where)} (${text})`);
      case 51:
      case 52:
        return fail('ldap-unavailable', `the server is busy or unavailable (${text})`, true);
      case 3:
        return fail('ldap-timeout', `the ${ctx.operation} timed out on the server (${text})`, true);
      default:
        return fail('ldap-error', `${ctx.operation} of ${ctx.dn ?? where} failed: ${text}`);
    }
  }

  const code = codeOf(error);
  if (code !== undefined && TLS_TRUST_CODES.has(code)) {
    return fail(
      'ldap-tls-untrusted',
      `the certificate of ${ctx.url} is not trusted (${code}): set ca_cert to the PEM of the CA that signed the domain controller's certificate (e.g. ca_cert: \${file:ad-ca.pem}), or tls_insecure_skip_verify: true (not recommended)`,
    );
  }
  if (code !== undefined && TLS_VALIDITY_CODES.has(code)) {
    return fail('ldap-tls-untrusted', `the certificate of ${ctx.url} is not valid (${code}): renew the domain controller's certificate`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fail(
      'ldap-tls-hostname',
      `the certificate of ${ctx.url} does not name that host (${scrub(message, secrets)}): use a host name listed in the certificate in the url`,
    );
  }
  if (code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return fail('ldap-tls-failed', `TLS handshake with ${ctx.url} failed (${code}): is it an LDAPS port (636)?`);
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ETIMEDOUT' ? 'connection timed out' : code;
    return fail('ldap-unreachable', `cannot reach ${ctx.url} (${why}): check the url, the port and firewalls`, true);
  }
  if (/connection timeout/i.test(message)) {
    return fail('ldap-timeout', `connecting to ${ctx.url} timed out (connect_timeout_ms): check the url and firewalls`, true);
  }
  if (/timed out/i.test(message)) {
    return fail('ldap-timeout', `the ${ctx.operation} on ${ctx.url} timed out (timeout_ms)`, true);
  }
  if (/socket|connection closed/i.test(message)) {
    return fail('ldap-unreachable', `the connection to ${ctx.url} failed during ${ctx.operation}: ${scrub(message, secrets).split('\n')[0] ?? ''}`, true);
  }
  return fail('ldap-error', `${ctx.operation} failed: ${scrub(message, secrets)}`);
}
