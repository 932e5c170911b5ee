// Construction-time behaviour of the LDAPS directory provider (no server
// needed); everything that talks to a DC is in test/ldap.test.ts (Samba).
import { describe, expect, it } from 'vitest';
import type { LdapConfig } from '../../generated/config.ts';
import { isPoolformError } from '../../util/errors.ts';
import { createLdapDirectoryProvider, ldapsUrlProblem } from './index.ts';

const config = (over: Partial<LdapConfig> = {}): LdapConfig => ({
  kind: 'LdapConfig',
  name: 'corp',
  url: 'ldaps://dc1.corp.example.com',
  bind_dn: 'svc@corp.example.com',
  bind_password: '${env:X}',
  search_base: 'DC=corp,DC=example,DC=com',
  ...over,
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('createLdapDirectoryProvider', () => {
  it('refuses anything but ldaps:// with the reason', () => {
    for (const url of ['ldap://dc1.corp.example.com', 'ldap://dc1:636', 'dc1.corp.example.com', 'https://dc1']) {
      const e = thrown(() => createLdapDirectoryProvider({ config: config({ url }), bindPassword: 'pw' }));
      expect(isPoolformError(e) && e.code).toBe('ldap-requires-ldaps');
      expect((e as Error).message).toContain("Active Directory does not allow a computer's password to be set over an unencrypted connection");
    }
    expect(ldapsUrlProblem('LDAPS://DC1.corp.example.com:636')).toBeUndefined();
    const client = createLdapDirectoryProvider({ config: config(), bindPassword: 'pw' });
    expect(client).toMatchObject({ kind: 'ldap', name: 'corp' });
  });

  it('warns once through the injected callback when certificate verification is off', () => {
    const warnings: string[] = [];
    createLdapDirectoryProvider({ config: config({ tls_insecure_skip_verify: true }), bindPassword: 'Secret-pw-1', warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/tls_insecure_skip_verify.*set ca_cert instead/);
    expect(warnings[0]).not.toContain('Secret-pw-1');
    createLdapDirectoryProvider({ config: config(), bindPassword: 'pw', warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
  });

  it('refuses a ca_cert that is not PEM, without echoing it', () => {
    const e = thrown(() => createLdapDirectoryProvider({ config: config(), bindPassword: 'pw', caCert: 'not-a-cert-xyz' }));
    expect(isPoolformError(e) && e.code).toBe('ldap-invalid-ca-cert');
    expect((e as Error).message).not.toContain('not-a-cert-xyz');
  });
});
