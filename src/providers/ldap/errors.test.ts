// Mapping of LDAP/TLS/socket failures to admin-facing messages (real Samba
// behaviour is covered in test/ldap.test.ts; this covers every branch).
import {
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  AlreadyExistsError,
  UnwillingToPerformError,
  NotAllowedOnNonLeafError,
} from 'ldapts';
import { describe, expect, it } from 'vitest';
import { mapLdapError } from './errors.ts';
import type { LdapErrorContext, LdapOperation } from './errors.ts';

const ctx = (operation: LdapOperation, over: Partial<LdapErrorContext> = {}): LdapErrorContext => ({
  config: 'corp',
  url: 'ldaps://dc1.corp.example.com',
  bindDn: 'svc-poolform@corp.example.com',
  operation,
  containerDn: 'OU=Pool,DC=corp,DC=example,DC=com',
  secrets: ['Bind-Secret-1', 'Join-Secret-2'],
  ...over,
});

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('mapLdapError', () => {
  it('names the missing right per operation', () => {
    const add = mapLdapError(new InsufficientAccessError('00002098: no'), ctx('add'));
    expect(add.code).toBe('ldap-insufficient-access');
    expect(add.message).toContain('"Create Computer objects');
    expect(add.message).toContain('OU=Pool,DC=corp,DC=example,DC=com');
    expect(mapLdapError(new InsufficientAccessError('x'), ctx('delete')).message).toContain('"Delete Computer objects"');
    expect(mapLdapError(new InsufficientAccessError('x'), ctx('set-password')).message).toContain('"Reset password');
  });

  it('bad credentials, missing OU, collisions, non-leaf, password policy', () => {
    expect(mapLdapError(new InvalidCredentialsError('52e'), ctx('bind')).message).toMatch(
      /rejected the bind credentials for "svc-poolform@corp.example.com".*check bind_dn and bind_password/,
    );
    expect(mapLdapError(new NoSuchObjectError('0000208D'), ctx('add')).code).toBe('ldap-ou-not-found');
    expect(mapLdapError(new NoSuchObjectError('x'), ctx('delete', { dn: 'CN=A,OU=Pool' })).code).toBe('ldap-no-such-object');
    expect(mapLdapError(new AlreadyExistsError('x'), ctx('add', { dn: 'CN=A,OU=Pool' })).message).toMatch(
      /already exists and is not poolform's: pick another name/,
    );
    expect(mapLdapError(new NotAllowedOnNonLeafError('x'), ctx('delete')).message).toContain('ad_recursive_cleanup');
    expect(mapLdapError(new UnwillingToPerformError('0000052D: unicodePwd'), ctx('set-password')).code).toBe('ldap-password-rejected');
  });

  it('TLS and connection failures', () => {
    const untrusted = mapLdapError(withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), ctx('bind'));
    expect(untrusted.code).toBe('ldap-tls-untrusted');
    expect(untrusted.message).toMatch(/not trusted.*set ca_cert/);
    expect(mapLdapError(withCode('Hostname/IP does not match', 'ERR_TLS_CERT_ALTNAME_INVALID'), ctx('bind')).code).toBe('ldap-tls-hostname');
    expect(mapLdapError(withCode('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER'), ctx('bind')).message).toContain('LDAPS port');
    const refused = mapLdapError(withCode('connect ECONNREFUSED', 'ECONNREFUSED'), ctx('bind'));
    expect(refused).toMatchObject({ code: 'ldap-unreachable', retryable: true });
    expect(refused.message).toContain('connection refused');
    expect(mapLdapError(new Error('Connection timeout'), ctx('bind'))).toMatchObject({ code: 'ldap-timeout', retryable: true });
    expect(mapLdapError(new Error('SearchRequest: Operation timed out'), ctx('search'))).toMatchObject({ code: 'ldap-timeout', retryable: true });
  });

  it('never carries a secret in the message, details or cause', () => {
    const e = mapLdapError(new Error('weird failure echoing Bind-Secret-1 and Join-Secret-2'), ctx('add'));
    const all = `${e.message} ${JSON.stringify(e.details)} ${String((e.cause as Error).message)}`;
    expect(all).not.toContain('Bind-Secret-1');
    expect(all).not.toContain('Join-Secret-2');
    expect(all).toContain('(sensitive)');
  });
});
