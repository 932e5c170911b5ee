import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { codes, loadStrings, MINIMAL, writeConfigDir } from '../../test/fixtures/config/load-strings.ts';
import { testTimeout } from '../testing/timeouts.ts';

describe('loadConfig', () => {
  it('accepts the minimal config of the issue and fills schema defaults', async () => {
    const r = await loadStrings({ 'pools.yaml': MINIMAL });
    expect(r.diagnostics).toEqual([]);
    const config = r.config;
    expect(config).toBeDefined();
    if (!config) return;
    expect(config.vmProviders.map((p) => p.name)).toEqual(['local']);
    const pool = config.pools[0];
    expect(pool?.enabled).toBe(true);
    expect(pool?.servers).toEqual([]);
    const a = pool?.autoscale?.[0];
    expect(a?.require_checkin).toBe(true);
    expect(a?.checkin_timeout).toBe('30m');
    expect(a?.downscale_backoff).toBe(0); // server pools: upstream's 0
    expect(a?.enabled).toBe(true);
    expect(config.settings.apply_policy).toBe('safe');
    expect(config.settings.reconcile_interval).toBe('30s');
    const local = config.vmProviders[0];
    expect(local?.type === 'local' ? local.cores : undefined).toBe(4);
  });

  it('fills the pool-type-dependent default of downscale_backoff (0 server pools, 1800 docker agent pools), keeping written values', async () => {
    const docker = (extra: string) =>
      `kind: VmProvider\nname: local\ntype: local\nmax_instances: 5\nstartup_script: x\n---\nkind: Pool\nname: agents\ntype: docker_agent\nautoscale:\n  - name: a\n    vm_provider: local\n${extra}`;
    expect((await loadStrings({ 'a.yaml': docker('') })).config?.pools[0]?.autoscale?.[0]?.downscale_backoff).toBe(1800);
    expect((await loadStrings({ 'a.yaml': docker('    downscale_backoff: 0\n') })).config?.pools[0]?.autoscale?.[0]?.downscale_backoff).toBe(0);
  });

  it("fills connection_port with the protocol's usual port when it is not written", async () => {
    const pool = (extra: string) =>
      `kind: VmProvider\nname: local\ntype: local\nmax_instances: 5\nstartup_script: x\n---\nkind: Pool\nname: desk\ntype: server\n` +
      `servers:\n  - name: s1\n    hostname: 10.0.0.5\n    connection_type: ssh\nautoscale:\n  - name: a\n    vm_provider: local\n    connection_type: rdp\n${extra}`;
    const loaded = (await loadStrings({ 'a.yaml': pool('') })).config?.pools[0];
    expect(loaded?.servers?.[0]?.connection_port).toBe(22);
    expect(loaded?.autoscale?.[0]?.connection_port).toBe(3389);
    expect((await loadStrings({ 'a.yaml': pool('    connection_port: 13389\n') })).config?.pools[0]?.autoscale?.[0]?.connection_port).toBe(13389);
  });

  it('fills the sources map with file:line:col of every named object', async () => {
    const r = await loadStrings({ 'a/providers.yml': MINIMAL.split('---\n')[0] ?? '', 'b.yaml': `# comment\n---\n${MINIMAL.split('---\n')[1] ?? ''}` });
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.sources['VmProvider/local']).toEqual({ file: 'a/providers.yml', line: 1, column: 1 });
    expect(r.config?.sources['Pool/desktops']).toEqual({ file: 'b.yaml', line: 3, column: 1 });
    expect(r.config?.sources['Pool/desktops/autoscale/day']).toEqual({ file: 'b.yaml', line: 7, column: 5 });
  });

  it('reads every document of every *.yaml / *.yml file, recursively, skipping hidden folders', async () => {
    const r = await loadStrings({
      'z.yml': 'kind: Zone\nname: east\n---\nkind: Zone\nname: west\n',
      'deep/er/w.yaml': 'kind: Workspace\nname: ubuntu\nimage: ubuntu:24.04\n',
      '.git/x.yaml': 'kind: Nonsense\n',
      'notes.txt': 'kind: Nonsense\n',
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.zones.map((z) => z.name)).toEqual(['east', 'west']);
    expect(r.config?.workspaces[0]?.memory_mb).toBe(2048);
  });

  it('follows symbolic links but reads every directory and file once (link loops, a file linked twice)', async () => {
    const dir = await writeConfigDir({ 'pools.yaml': MINIMAL });
    try {
      await symlink('.', join(dir, 'loop'));
      await symlink('pools.yaml', join(dir, 'same.yaml'));
      await mkdir(join(dir, 'sub'));
      await symlink('../pools.yaml', join(dir, 'sub', 'again.yml'));
      const r = await loadConfig(dir);
      expect(r.diagnostics).toEqual([]);
      expect(r.config?.pools.map((p) => p.name)).toEqual(['desktops']);
      expect(r.config?.sources['Pool/desktops']?.file).toBe('pools.yaml');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a *.yaml that is not a regular file (FIFO, link to a device, dangling link) is an error naming it, never skipped or blocking', async () => {
    const dir = await writeConfigDir({ 'pools.yaml': MINIMAL });
    try {
      execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
      await symlink('/dev/zero', join(dir, 'zero.yaml'));
      await symlink('missing.yaml', join(dir, 'dangling.yaml'));
      const r = await loadConfig(dir);
      const byFile = Object.fromEntries(r.diagnostics.map((d) => [d.file, d]));
      expect(byFile['fifo.yaml']).toMatchObject({ severity: 'error', code: 'file-unreadable' });
      expect(byFile['fifo.yaml']?.message).toContain('fifo.yaml is a FIFO (named pipe), not a regular file');
      expect(byFile['zero.yaml']?.message).toContain('a character device, not a regular file');
      expect(byFile['dangling.yaml']).toMatchObject({ severity: 'error', code: 'file-unreadable' });
      expect(r.config).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('YAML 1.1 tags (!!binary, !!timestamp, !!set, !!omap) are not turned into non-JSON values; they are warned about at the tag', async () => {
    const pool = [
      'kind: Pool',
      'name: p',
      'type: server',
      'servers:',
      '  - name: s1',
      '    hostname: 10.0.0.1',
      '    connection_type: rdp',
      '    connection_info:',
      '      bin: !!binary aGVsbG8=',
      '      ts: !!timestamp 2026-01-01',
      '      set: !!set {a, b}',
      '      omap: !!omap [{a: 1}]',
      '',
    ].join('\n');
    const r = await loadStrings({ 'p.yaml': pool });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.filter((d) => d.code === 'yaml-warning').map((d) => d.line)).toEqual([9, 10, 11, 12]);
    expect(r.config?.pools[0]?.servers?.[0]?.connection_info).toEqual({ bin: 'aGVsbG8=', ts: '2026-01-01', set: { a: null, b: null }, omap: [{ a: 1 }] });
  });

  it('maps schema errors to the line and column of their YAML node', async () => {
    const yaml = [
      'kind: Pool',
      'name: desktops',
      'type: server',
      'autoscale:',
      '  - name: day',
      '    vm_provider: local',
      '    connection_type: rpd',
      '    colour: blue',
      '    minimum_available_sessions: -1',
      '',
    ].join('\n');
    const r = await loadStrings({ 'p.yaml': yaml });
    const byPath = Object.fromEntries(r.diagnostics.map((d) => [d.path, d]));
    expect(byPath['/autoscale/0/connection_type']).toMatchObject({ code: 'schema', file: 'p.yaml', line: 7, column: 22 });
    expect(byPath['/autoscale/0/colour']).toMatchObject({ line: 8, column: 5 });
    expect(byPath['/autoscale/0/colour']?.message).toContain('unknown field "colour"');
    expect(byPath['/autoscale/0/minimum_available_sessions']).toMatchObject({ line: 9, column: 33 });
    expect(r.config).toBeUndefined();
  });

  it('reports all schema errors, not only the first', async () => {
    const r = await loadStrings({ 'p.yaml': 'kind: Zone\nname: A\nfoo: 1\nbar: 2\n' });
    expect(codes(r).filter((c) => c === 'schema')).toHaveLength(3);
  });

  it('reports missing required fields at the object and unknown kinds at kind', async () => {
    const r = await loadStrings({ 'p.yaml': 'kind: VmProvider\nname: x\ntype: local\n---\nkind: Gizmo\n' });
    expect(r.diagnostics.map((d) => [d.line, d.column, d.message])).toEqual([
      [1, 1, 'missing required field "max_instances"'],
      [1, 1, 'missing required field "startup_script"'],
      [5, 7, 'unknown kind "Gizmo": expected one of Settings, Zone, VmProvider, DnsProvider, LdapConfig, Workspace, Pool'],
    ]);
  });

  it('hints at the intended kind or provider type, and at field names written in another case', async () => {
    const r = await loadStrings({
      'a.yaml': 'kind: pool\nname: p\ntype: server\n---\nKind: Zone\nname: z\n---\nkind: VmProvider\nname: v\ntype: AWS\nmax_instances: 1\nstartup_script: x\n',
    });
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'unknown kind "pool" (did you mean "Pool"?): expected one of Settings, Zone, VmProvider, DnsProvider, LdapConfig, Workspace, Pool',
      'missing required field "kind" (found "Kind": field names are case-sensitive)',
      'unknown VmProvider type "AWS" (did you mean "aws"?): expected one of aws, azure, gcp, oci, digital_ocean, kubevirt, harvester, vsphere, nutanix, local',
    ]);
    const yes = await loadStrings({
      'a.yaml': 'kind: LdapConfig\nname: l\nurl: ldaps://dc\nbind_dn: x\nbind_password: ${env:P}\nsearch_base: DC=x\nenabled: yes\n',
    });
    expect(yes.diagnostics.map((d) => d.message)).toEqual(['enabled: must be boolean, got string "yes" (write true or false)']);
  });

  it('reports YAML syntax errors with their position, per document', async () => {
    const r = await loadStrings({ 'bad.yaml': 'kind: Zone\nname: ok\n---\nkind: Zone\nname: [unclosed\n', 'dup.yaml': 'kind: Zone\nname: a\nname: b\n' });
    const syntax = r.diagnostics.filter((d) => d.code === 'yaml-syntax');
    expect(syntax.some((d) => d.file === 'bad.yaml' && d.line >= 5)).toBe(true);
    expect(syntax.some((d) => d.file === 'dup.yaml' && d.line === 3 && d.column === 1)).toBe(true);
  });

  it(
    'ends in diagnostics, never an exception, for bad input',
    async () => {
      const random = await loadStrings({ 'random.yaml': randomBytes(64 * 1024) });
      expect(random.config).toBeUndefined();
      expect(random.diagnostics.length).toBeGreaterThan(0);
      expect(random.diagnostics.length).toBeLessThanOrEqual(22);

      const text = await loadStrings({ 'random.yaml': Buffer.from(randomBytes(4096).toString('latin1').replace(/\0/g, 'x'), 'latin1') });
      expect(text.config).toBeUndefined();

      expect(codes(await loadStrings({}))).toEqual(['no-config-files']);
      expect(codes(await loadStrings({ 'a.txt': 'x', 'b.json': '{}', 'sub/c.md': '# hi' }))).toEqual(['no-config-files']);
      expect(codes(await loadConfig('/nonexistent/poolform/dir'))).toEqual(['config-dir-missing']);

      const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++) {
        const prev = String.fromCharCode(96 + i);
        const cur = String.fromCharCode(97 + i);
        laughs.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
      }
      const bomb = await loadStrings({ 'lol.yaml': `kind: Zone\nname: lol\n${laughs.join('\n')}\n` });
      // Alias expansions count toward the node budget: the bomb is refused at the alias where it runs out.
      expect(codes(bomb)).toEqual(['config-too-large']);
      expect(bomb.diagnostics[0]?.message).toMatch(/max_yaml_nodes/);

      const deep = await loadStrings({ 'deep.yaml': `${'['.repeat(20000)}${']'.repeat(20000)}\n` });
      expect(deep.config).toBeUndefined();
      expect(deep.diagnostics.length).toBeGreaterThan(0);
      // One plain-words diagnostic, not one engine error per level.
      for (const nesting of [deep, await loadStrings({ 'deep.yaml': Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') })]) {
        expect(nesting.diagnostics.filter((d) => /too deep/.test(d.message))).toHaveLength(1);
        expect(JSON.stringify(nesting.diagnostics)).not.toMatch(/call stack/i);
      }

      // Files that are all empty are no configuration: plan must not read them as "deregister everything".
      expect(codes(await loadStrings({ 'empty.yaml': '', 'comments.yaml': '# nothing\n---\n' }))).toEqual(['no-config-documents']);
    },
    testTimeout(30_000),
  );

  it(
    'refuses a 50 MB file with a diagnostic, without parsing it',
    async () => {
      const dir = await writeConfigDir({ 'ok.yaml': 'kind: Zone\nname: a\n' });
      try {
        const handle = await open(join(dir, 'huge.yaml'), 'w');
        const chunk = Buffer.from('# padding padding padding padding padding padding padding padding\n'.repeat(16 * 1024));
        for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) await handle.write(chunk);
        await handle.close();
        const r = await loadConfig(dir);
        expect(r.diagnostics).toMatchObject([{ code: 'config-too-large', file: 'huge.yaml', line: 1, severity: 'error' }]);
        expect(r.diagnostics[0]?.message).toMatch(/max_file_bytes/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    testTimeout(30_000),
  );

  it('reads the files together only up to a size budget (config-too-large), so many big files cannot exhaust memory', async () => {
    const pad = `# ${'x'.repeat(1000)}\n`.repeat(3);
    const dir = await writeConfigDir({
      'a.yaml': `kind: Zone\nname: a\n${pad}`,
      'b.yaml': `kind: Zone\nname: b\n${pad}`,
      'c.yaml': `kind: Zone\nname: c\n${pad}`,
    });
    try {
      const r = await loadConfig(dir, { maxTotalBytes: 7000 });
      expect(r.diagnostics).toMatchObject([{ code: 'config-too-large', file: 'c.yaml', line: 1, column: 1, severity: 'error' }]);
      expect(r.config).toBeUndefined();
      expect((await loadConfig(dir)).diagnostics).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('follows aliases and merge keys when locating errors', async () => {
    const yaml =
      'kind: Pool\nname: p\ntype: server\nautoscale:\n  - &base\n    name: a\n    vm_provider: local\n    connection_type: rdp\n  - <<: *base\n    name: b\n    reusable: maybe\n';
    const r = await loadStrings({ 'p.yaml': `kind: VmProvider\nname: local\ntype: local\nmax_instances: 1\nstartup_script: x\n---\n${yaml}` });
    expect(r.diagnostics).toMatchObject([{ code: 'schema', path: '/autoscale/1/reusable', line: 17, column: 15 }]);
  });
});
