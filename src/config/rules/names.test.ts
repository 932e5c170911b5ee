import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, MINIMAL, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

describe('duplicate-name', () => {
  it('accepts distinct names and the same name in different kinds', async () => {
    const r = await loadStrings({ 'a.yaml': `${MINIMAL}---\nkind: Zone\nname: local\n---\nkind: Zone\nname: desktops\n` });
    expect(codes(r)).toEqual([]);
  });

  it('rejects two objects of one kind with the same name, across files', async () => {
    const r = await loadStrings({ 'a.yaml': MINIMAL, 'b.yaml': LOCAL_PROVIDER });
    expect(only(r, 'duplicate-name')).toMatchObject([{ file: 'b.yaml', line: 2, column: 7, path: '/name' }]);
    expect(only(r, 'duplicate-name')[0]?.message).toContain('a.yaml');
  });

  it('rejects duplicate autoscale, server and staging names within a pool', async () => {
    const pool = `kind: Pool
name: p
type: server
servers:
  - { name: s1, hostname: 10.0.0.1, connection_type: rdp }
  - { name: s1, hostname: 10.0.0.2, connection_type: rdp }
autoscale:
  - { name: a, vm_provider: local, connection_type: rdp }
  - { name: a, vm_provider: local, connection_type: rdp }
`;
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${pool}` });
    expect(only(r, 'duplicate-name').map((d) => d.path)).toEqual(['/servers/1/name', '/autoscale/1/name']);
  });

  it('allows the same autoscale name in different pools', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${serverPool('', 'one')}---\n${serverPool('', 'two')}` });
    expect(codes(r)).toEqual([]);
  });
});

describe('multiple-settings', () => {
  it('accepts one Settings document', async () => {
    expect(codes(await loadStrings({ 's.yaml': 'kind: Settings\n', 'a.yaml': MINIMAL }))).toEqual([]);
  });
  it('rejects a second one', async () => {
    const r = await loadStrings({ 's.yaml': 'kind: Settings\n', 't.yaml': 'kind: Settings\napply_policy: auto\n', 'a.yaml': MINIMAL });
    expect(only(r, 'multiple-settings')).toMatchObject([{ file: 't.yaml', line: 1, column: 7 }]);
  });
});
