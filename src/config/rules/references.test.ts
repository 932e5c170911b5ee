import { describe, expect, it } from 'vitest';
import { codes, dockerPool, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

describe('unknown-reference', () => {
  it('accepts references that resolve', async () => {
    const r = await loadStrings({
      'a.yaml': `${LOCAL_PROVIDER}---\nkind: Zone\nname: east\n---\nkind: DnsProvider\nname: dns\ntype: local\n---\n${serverPool('zone: east\ndns_provider: dns')}`,
    });
    expect(codes(r)).toEqual([]);
  });

  it('reports an unknown vm_provider, zone and dns_provider at the reference, with a hint', async () => {
    const r = await loadStrings({
      'a.yaml': `${LOCAL_PROVIDER}---\n${serverPool('zone: nowhere\ndns_provider: dns').replace('vm_provider: local', 'vm_provider: locl')}`,
    });
    const d = only(r, 'unknown-reference');
    expect(d.map((x) => x.path)).toEqual(['/autoscale/0/vm_provider', '/autoscale/0/zone', '/autoscale/0/dns_provider']);
    expect(d[0]).toMatchObject({ line: 12, column: 18 });
    expect(d[0]?.message).toContain('did you mean "local"');
  });

  it('reports staging workspace and autoscale that do not resolve', async () => {
    const staging = 'staging:\n  - { name: s, workspace: missing, autoscale: nope, num_sessions: 1 }\n';
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${dockerPool('', staging)}` });
    expect(only(r, 'unknown-reference').map((x) => x.path)).toEqual(['/staging/0/workspace', '/staging/0/autoscale']);
  });

  it('resolves staging against the workspace and the same pool', async () => {
    const staging = 'staging:\n  - { name: s, workspace: ubuntu, autoscale: standby, num_sessions: 1 }\n';
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\nkind: Workspace\nname: ubuntu\nimage: ubuntu\n---\n${dockerPool('', staging)}` });
    expect(codes(r)).toEqual([]);
  });

  it('does not cascade from a document that failed the schema', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}max_instances_typo: 1\n---\n${serverPool()}` });
    expect(codes(r)).toEqual(['schema']);
  });
});
