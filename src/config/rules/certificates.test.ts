import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const ca = readFileSync(new URL('../../../test/fixtures/config/certs/ca.pem', import.meta.url), 'utf8');
const ldap = (caCert: string) =>
  `kind: LdapConfig\nname: corp\nurl: ldaps://dc.corp.example.com\nbind_dn: svc@corp\nbind_password: \${env:LDAP_PW}\nsearch_base: DC=corp,DC=example,DC=com\nca_cert: ${caCert}\n`;

describe('certificate-invalid', () => {
  it('accepts a PEM certificate by file', async () => {
    expect(codes(await loadStrings({ 'l.yaml': ldap('${file:certs/ca.pem}'), 'certs/ca.pem': ca }))).toEqual([]);
  });
  it('rejects a missing file and a file without a certificate', async () => {
    expect(only(await loadStrings({ 'l.yaml': ldap('${file:nope.pem}') }), 'certificate-invalid')).toMatchObject([{ line: 7, column: 10, path: '/ca_cert' }]);
    expect(codes(await loadStrings({ 'l.yaml': ldap('${file:ca.pem}'), 'ca.pem': 'hello' }))).toEqual(['certificate-invalid']);
  });
  it('rejects a corrupt inline certificate', async () => {
    const bad = '|\n  -----BEGIN CERTIFICATE-----\n  AAAA\n  -----END CERTIFICATE-----';
    expect(codes(await loadStrings({ 'l.yaml': ldap(bad) }))).toEqual(['certificate-invalid']);
  });
});
