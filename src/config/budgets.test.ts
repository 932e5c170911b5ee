// Issue 11: config loading that no input can crash, hang or slow to a crawl.
// Each reproduction of the issue as a test: over-budget inputs end in a
// `config-too-large` diagnostic naming the budget at file:line, circular
// aliases in `yaml-alias-cycle` at the anchor, duplicate keys found without
// the quadratic check, and so on. Sizes here are small (budgets lowered
// through Settings or LoadOptions); test/validate-memory.test.ts runs the
// full-size inputs in a separate process and measures memory.
import { link, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, writeConfigDir } from '../../test/fixtures/config/load-strings.ts';
import { loadConfig } from './load.ts';
import { budgetsFromSettings, BUDGET_CEILINGS, DEFAULT_BUDGETS } from './budgets.ts';
import { formatText } from './format.ts';
import type { Settings } from '../generated/config.ts';

const fixedPool = (serverExtra: string) => `kind: Pool
name: p
type: server
servers:
  - name: s1
    hostname: h1.example
    connection_type: rdp
${serverExtra}`;

describe('load budgets', () => {
  it('budgets come from Settings.config_limits, clamped to their maximums', () => {
    expect(budgetsFromSettings(undefined)).toEqual(DEFAULT_BUDGETS);
    const settings = { kind: 'Settings', config_limits: { max_keys_per_mapping: 20_000, max_yaml_nodes: 10_000_000 } } as unknown as Settings;
    const b = budgetsFromSettings(settings);
    expect(b.maxKeysPerMapping).toBe(20_000);
    expect(b.maxYamlNodes).toBe(BUDGET_CEILINGS.maxYamlNodes);
  });

  it('a flow sequence past the node budget is config-too-large at its line, before it is parsed (issue: 10 MB of [1,1,...] took 4 GB)', async () => {
    const items = Array.from({ length: 2_000 }, () => '1').join(',');
    const dir = await writeConfigDir({ 'a.yaml': `kind: Zone\nname: z\n---\nx: [${items}]\n` });
    try {
      const r = await loadConfig(dir, { budgets: { maxYamlNodes: 1_000 } });
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ code: 'config-too-large', file: 'a.yaml', line: 4, severity: 'error' });
      expect(r.diagnostics[0]?.message).toMatch(/max_yaml_nodes/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a lower node budget in Settings applies to what was read, at the node where it runs out', async () => {
    const servers = Array.from({ length: 200 }, (_, i) => `  - { name: s${i}, hostname: h${i}.example, connection_type: rdp }`).join('\n');
    const r = await loadStrings({
      'a.yaml': `kind: Settings\nconfig_limits:\n  max_yaml_nodes: 500\n---\n${LOCAL_PROVIDER}---\nkind: Pool\nname: p\ntype: server\nservers:\n${servers}\n`,
    });
    const d = only(r, 'config-too-large');
    expect(d).toHaveLength(1);
    expect(d[0]?.message).toMatch(/500 YAML nodes \(max_yaml_nodes\)/);
    expect(d[0]?.line).toBeGreaterThan(15); // inside the servers list, not the document start
    expect(r.config).toBeUndefined();
  });

  it('alias expansions count toward the node budget (billion laughs is bounded)', async () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      laughs.push(`${cur}: &${cur} [${Array.from({ length: 10 }, () => `*${prev}`).join(', ')}]`);
    }
    const r = await loadStrings({ 'lol.yaml': `kind: Zone\nname: lol\n${laughs.join('\n')}\n` });
    expect(codes(r)).toEqual(['config-too-large']);
    expect(r.diagnostics[0]).toMatchObject({ file: 'lol.yaml', line: 8 });
  });

  it('keys per mapping: over the budget is config-too-large at the mapping; Settings can raise it', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `      k${i}: ${i}`).join('\n');
    const pool = fixedPool(`    connection_info:\n${keys}\n`);
    const low = await loadStrings({ 's.yaml': 'kind: Settings\nconfig_limits:\n  max_keys_per_mapping: 100\n', 'a.yaml': pool });
    expect(only(low, 'config-too-large')).toMatchObject([{ file: 'a.yaml', line: 9, column: 7 }]);
    expect(only(low, 'config-too-large')[0]?.message).toMatch(/this mapping has 120 keys.*max_keys_per_mapping/);
    const raised = await loadStrings({ 's.yaml': 'kind: Settings\nconfig_limits:\n  max_keys_per_mapping: 200\n', 'a.yaml': pool });
    expect(codes(raised, 'error')).toEqual([]);
  });

  it('nesting depth: over the budget is config-too-large at the deepest line', async () => {
    let nested = '';
    for (let i = 0; i < 70; i++) nested += `${' '.repeat(6 + 2 * i)}l${i}:\n`;
    const r = await loadStrings({ 'a.yaml': fixedPool(`    connection_info:\n${nested}`) });
    const d = only(r, 'config-too-large');
    expect(d).toHaveLength(1);
    expect(d[0]?.message).toMatch(/too deep.*max_depth/);
    expect(d[0]?.line).toBeGreaterThan(60);
  });

  it('bytes per file and in total, from Settings', async () => {
    const pad = `# ${'x'.repeat(2_000)}\n`;
    const r = await loadStrings({ 'a.yaml': `kind: Settings\nconfig_limits:\n  max_file_bytes: 1000\n`, 'b.yaml': `kind: Zone\nname: z\n${pad}` });
    expect(only(r, 'config-too-large')).toMatchObject([{ file: 'b.yaml', line: 1 }]);
    expect(only(r, 'config-too-large')[0]?.message).toMatch(/max_file_bytes/);
    const t = await loadStrings({
      'a.yaml': `kind: Settings\nconfig_limits:\n  max_total_bytes: 3000\n`,
      'b.yaml': `kind: Zone\nname: z\n${pad}`,
      'c.yaml': `kind: Zone\nname: y\n${pad}`,
    });
    expect(only(t, 'config-too-large')).toMatchObject([{ file: 'c.yaml', line: 1 }]);
    expect(only(t, 'config-too-large')[0]?.message).toMatch(/max_total_bytes/);
  });

  it('a million lines of syntax errors stay within the budget (one diagnostic, no abort)', async () => {
    const dir = await writeConfigDir({ 'a.yaml': ']\n'.repeat(5_000) });
    try {
      const r = await loadConfig(dir, { budgets: { maxYamlNodes: 1_000 } });
      expect(r.diagnostics).toMatchObject([{ code: 'config-too-large', file: 'a.yaml', line: 1001 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('linear checks', () => {
  it("duplicate keys are found with their position (without the parser's quadratic check)", async () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `      k${i}: ${i}`);
    keys.push('      k17: again');
    const r = await loadStrings({ 'a.yaml': fixedPool(`    connection_info:\n${keys.join('\n')}\n`) });
    expect(only(r, 'yaml-syntax')).toMatchObject([{ file: 'a.yaml', line: 5009, column: 7, message: 'Map keys must be unique' }]);
    // 1 and "1" are different keys; merge keys may repeat.
    expect(codes(await loadStrings({ 'a.yaml': fixedPool('    connection_info: { 1: a, "1": b }\n') }))).toEqual([]);
  });

  it('30,000 unknown fields end in one diagnostic each, located through an index (issue: 200k did not finish in 180 s)', async () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `bogus${i}: 1`).join('\n');
    const r = await loadStrings({ 'a.yaml': `kind: Zone\nname: z\n${keys}\n` });
    const unknown = only(r, 'schema');
    expect(unknown).toHaveLength(3_000);
    expect(unknown[2_999]).toMatchObject({ line: 3_002, column: 1 });
  });
});

describe('aliases', () => {
  it('a circular alias is yaml-alias-cycle at the anchor, in a fixed server and in an autoscale config', async () => {
    const fixed = await loadStrings({ 'a.yaml': fixedPool('    connection_info: &ci\n      self: *ci\n') });
    expect(codes(fixed)).toEqual(['yaml-alias-cycle']);
    expect(fixed.diagnostics[0]).toMatchObject({ file: 'a.yaml', line: 8, column: 22 });
    const flow = await loadStrings({ 'a.yaml': fixedPool('    connection_info: &ci {self: *ci}\n') });
    expect(codes(flow)).toEqual(['yaml-alias-cycle']);
    const auto = await loadStrings({
      'a.yaml': `${LOCAL_PROVIDER}---\nkind: Pool\nname: p\ntype: server\nautoscale:\n  - name: a\n    vm_provider: local\n    connection_type: rdp\n    connection_info: &x\n      nested:\n        again: *x\n`,
    });
    expect(codes(auto)).toEqual(['yaml-alias-cycle']);
    expect(auto.diagnostics[0]).toMatchObject({ line: 14 });
  });

  it('more than 10,000 aliases in one document is config-too-large (a fixed limit: resolving aliases is quadratic in the yaml library)', async () => {
    const r = await loadStrings({ 'a.yaml': `kind: Zone\nname: z\nx: &a 1\ny: [${Array.from({ length: 10_001 }, () => '*a').join(', ')}]\n` });
    expect(codes(r)).toEqual(['config-too-large']);
    expect(r.diagnostics[0]).toMatchObject({ file: 'a.yaml', line: 4 });
    expect(r.diagnostics[0]?.message).toMatch(/10,000 aliases/);
  });

  it('non-circular aliases and merge keys still load', async () => {
    const r = await loadStrings({
      'a.yaml': fixedPool('    connection_info: &ci { a: 1 }\n  - name: s2\n    hostname: h2\n    connection_type: rdp\n    connection_info: *ci\n'),
    });
    expect(codes(r)).toEqual([]);
  });
});

describe('directory contents', () => {
  it('YAML files that are all empty are no-config-documents, not an empty configuration', async () => {
    const r = await loadStrings({ 'a.yaml': '', 'b.yml': '# nothing here\n', 'sub/c.yaml': '---\n' });
    expect(codes(r)).toEqual(['no-config-documents']);
    expect(r.config).toBeUndefined();
  });

  it('a hard-linked file is read once (device + inode)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolform-hardlink-'));
    try {
      await writeFile(join(dir, 'a.yaml'), 'kind: Zone\nname: z\n');
      await link(join(dir, 'a.yaml'), join(dir, 'b.yaml'));
      const r = await loadConfig(dir);
      expect(codes(r)).toEqual([]);
      expect(r.config?.zones).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('syntax errors', () => {
  it('an over-indented line is reported at that line, once, with the count of follow-on errors', async () => {
    const yaml = `${LOCAL_PROVIDER}---\nkind: Pool\nname: p\ntype: server\nservers:\n  - name: s1\n    hostname: h\n     connection_type: rdp\n    enabled: true\n`;
    // line 13 is "     connection_type: rdp" (one space too far)
    const r = await loadStrings({ 'a.yaml': yaml });
    const syntax = only(r, 'yaml-syntax');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ line: 13, column: 6 });
    expect(syntax[0]?.message).toMatch(/indented 1 space further than the line above/);
    expect(syntax[0]?.message).toMatch(/more YAML error/);
  });
});

describe('secrets in excerpts', () => {
  it('a misspelled secret field does not print its value', async () => {
    const dir = await writeConfigDir({ 'a.yaml': 'kind: LdapConfig\nname: l\nurl: ldaps://dc\nbind_dn: x\nbind_pasword: hunter2\nsearch_base: DC=x\n' });
    try {
      const r = await loadConfig(dir);
      const text = formatText(r.diagnostics, { dir });
      expect(text).toMatch(/bind_pasword/);
      expect(text).not.toMatch(/hunter2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
