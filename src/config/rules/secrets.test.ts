import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const pool = (password: string) => `${LOCAL_PROVIDER}---\n${serverPool(`connection_username: admin\nconnection_password: ${password}`)}`;

describe('plaintext-secret', () => {
  it('accepts env and file references and the {sso_cred} placeholder', async () => {
    for (const value of ['${env:RDP_PASSWORD}', '${file:secrets/rdp}', '"{sso_cred}"']) {
      expect(codes(await loadStrings({ 'a.yaml': pool(value) }))).toEqual([]);
    }
  });

  it('rejects plaintext, without echoing the value', async () => {
    const r = await loadStrings({ 'a.yaml': pool('Hunter2-Secret') });
    const d = only(r, 'plaintext-secret');
    expect(d).toMatchObject([{ severity: 'error', path: '/autoscale/0/connection_password', line: 15, column: 26 }]);
    expect(JSON.stringify(r.diagnostics)).not.toContain('Hunter2');
  });

  it('finds secrets in every kind: Settings api keys, provider credentials, LDAP bind password, nginx key', async () => {
    const r = await loadStrings({
      's.yaml': 'kind: Settings\napi_keys:\n  - { name: ci, secret: plain }\n',
      'p.yaml':
        'kind: VmProvider\nname: aws\ntype: aws\nmax_instances: 1\nstartup_script: x\naws_region: us-east-1\naws_ec2_ami_id: ami-1\naws_ec2_instance_type: t3.micro\nsecret_access_key: plain\n',
      'd.yaml': 'kind: DnsProvider\nname: r53\ntype: route53\naccess_key_id: AKIAIOSFODNN7EXAMPLE\nsecret_access_key: plain\n',
      'l.yaml': 'kind: LdapConfig\nname: corp\nurl: ldaps://dc\nbind_dn: x\nbind_password: plain\nsearch_base: DC=x\n',
      'q.yaml': 'kind: Pool\nname: agents\ntype: docker_agent\nautoscale:\n  - { name: a, vm_provider: aws, nginx_key: plain }\n',
    });
    expect(only(r, 'plaintext-secret').map((d) => `${d.file}${d.path}`)).toEqual([
      'd.yaml/secret_access_key',
      'l.yaml/bind_password',
      'p.yaml/secret_access_key',
      'q.yaml/autoscale/0/nginx_key',
      's.yaml/api_keys/0/secret',
    ]);
  });

  it('an AWS access key id is not a secret: plaintext or a reference', async () => {
    const provider = (id: string) =>
      `kind: VmProvider\nname: aws\ntype: aws\nmax_instances: 1\nstartup_script: x\naws_region: us-east-1\naws_ec2_ami_id: ami-1\naws_ec2_instance_type: t3.micro\naccess_key_id: ${id}\nsecret_access_key: \${env:AWS_SECRET_ACCESS_KEY}\n`;
    expect(codes(await loadStrings({ 'p.yaml': provider('AKIAIOSFODNN7EXAMPLE') }))).toEqual([]);
    expect(codes(await loadStrings({ 'p.yaml': provider('${env:AWS_ACCESS_KEY_ID}') }))).toEqual([]);
  });

  it('downgrades plaintext to a warning with allow_plaintext_secrets', async () => {
    const r = await loadStrings({ 'a.yaml': pool('Hunter2'), 's.yaml': 'kind: Settings\nallow_plaintext_secrets: true\n' });
    expect(codes(r)).toEqual(['plaintext-secret']);
    expect(r.diagnostics[0]?.severity).toBe('warning');
    expect(r.config).toBeDefined();
  });

  it('rejects a malformed reference even with plaintext allowed', async () => {
    const r = await loadStrings({ 'a.yaml': pool('${vault:rdp}'), 's.yaml': 'kind: Settings\nallow_plaintext_secrets: true\n' });
    expect(codes(r, 'error')).toEqual(['secret-ref-invalid']);
  });
});
