import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const ldap = (url: string) =>
  `kind: LdapConfig\nname: corp\nurl: ${url}\nbind_dn: svc@corp\nbind_password: \${env:LDAP_PW}\nsearch_base: DC=corp,DC=example,DC=com\n`;
const ad = 'ad_create_machine_record: true\nldap_config: corp\nad_computer_container_dn: OU=VDI,DC=corp,DC=example,DC=com';

describe('ad-config-incomplete / ldaps-required', () => {
  it('accepts AD computer records with an ldaps:// LdapConfig', async () => {
    expect(codes(await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${ldap('ldaps://dc.corp.example.com')}---\n${serverPool(ad)}` }))).toEqual([]);
  });
  it('rejects an ldap:// LdapConfig, at ldap_config', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${ldap('ldap://dc.corp.example.com')}---\n${serverPool(ad)}` });
    expect(only(r, 'ldaps-required')).toMatchObject([{ path: '/autoscale/0/ldap_config', line: 22, column: 18 }]);
  });
  it('rejects AD records without ldap_config and container DN', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${serverPool('ad_create_machine_record: true')}` });
    expect(only(r, 'ad-config-incomplete').map((d) => d.message)).toEqual([
      'ad_create_machine_record needs ldap_config',
      'ad_create_machine_record needs ad_computer_container_dn',
    ]);
  });
  it('on a docker agent pool only the field itself is reported (no cascade)', async () => {
    const r = await loadStrings({
      'a.yaml': `${LOCAL_PROVIDER}---\nkind: Pool\nname: agents\ntype: docker_agent\nautoscale:\n  - name: a\n    vm_provider: local\n    ad_create_machine_record: true\n`,
    });
    expect(codes(r)).toEqual(['field-not-for-pool-type']);
  });
});
