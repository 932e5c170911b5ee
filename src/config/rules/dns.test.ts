import { describe, expect, it } from 'vitest';
import { codes, dockerPool, LOCAL_PROVIDER, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const dns = 'kind: DnsProvider\nname: dns\ntype: local\n';

describe('register-dns-incomplete', () => {
  it('accepts register_dns with dns_provider and base_domain_name', async () => {
    const pool = dockerPool('register_dns: true\ndns_provider: dns\nbase_domain_name: agents.example.com');
    expect(codes(await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${dns}---\n${pool}` }))).toEqual([]);
  });
  it('rejects register_dns without them', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${dockerPool('register_dns: true')}` });
    expect(only(r, 'register-dns-incomplete').map((d) => d.message)).toEqual(['register_dns needs dns_provider', 'register_dns needs base_domain_name']);
    expect(only(r, 'register-dns-incomplete')[0]).toMatchObject({ path: '/autoscale/0/register_dns', line: 13, column: 19 });
  });
});
