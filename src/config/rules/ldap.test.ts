import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const ldap = (extra: string) =>
  `kind: LdapConfig\nname: corp\nurl: ldaps://dc\nbind_dn: svc@corp\nbind_password: \${env:LDAP_PW}\nsearch_base: DC=corp\n${extra}`;

describe('tls-insecure', () => {
  it('is silent when certificates are verified', async () => {
    expect(codes(await loadStrings({ 'l.yaml': ldap('tls_insecure_skip_verify: false\n') }))).toEqual([]);
  });
  it('warns (valid) when verification is off', async () => {
    const r = await loadStrings({ 'l.yaml': ldap('tls_insecure_skip_verify: true\n') });
    expect(only(r, 'tls-insecure')).toMatchObject([{ severity: 'warning', line: 7, column: 27 }]);
    expect(r.config).toBeDefined();
  });
});
