// `poolform validate` for DigitalOcean providers: the worked example of
// docs/providers/digital-ocean.md is valid, and each schema shape gives its
// diagnostic at the right field; the startup script must fit 64 KiB of
// user_data after worst-case substitution.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/model.ts';
import { USER_DATA_MAX_BYTES } from '../src/providers/digital-ocean/user-data.ts';
import { DO_USER_DATA_LIMIT } from '../src/template/worst-case.ts';
import { docExample as sharedDocExample, errors, yamlDoc, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/digital-ocean.md', import.meta.url);

function docExample(): string {
  return sharedDocExample(DOC, 'test/digital-ocean-validate.test.ts');
}

function validate(yaml: string): Promise<Diagnostic[]> {
  return validateYaml('poolform-do-validate-', yaml);
}

function vm(over: Record<string, string> = {}): string {
  return yamlDoc(
    {
      kind: 'VmProvider',
      name: 'do',
      type: 'digital_ocean',
      max_instances: '3',
      token: '${env:DIGITALOCEAN_TOKEN}',
      region: 'nyc3',
      size: 's-2vcpu-4gb',
      image: 'ubuntu-24-04-x64',
      startup_script: "'#!/bin/sh\\necho {server_id}\\n'",
    },
    over,
  );
}

describe('validate: DigitalOcean providers', () => {
  it('the worked example in docs/providers/digital-ocean.md is valid', async () => {
    expect(errors(await validate(docExample()))).toEqual([]);
  });

  it('a minimal provider is valid; a numeric image id is too', async () => {
    expect(errors(await validate(vm()))).toEqual([]);
    expect(errors(await validate(vm({ image: '123456789' })))).toEqual([]);
  });

  it.each([
    ['token', 'dop_v1_plaintext'],
    ['token', ''],
    ['region', 'NYC3'],
    ['region', 'new-york'],
    ['size', 'S 2vcpu'],
    ['image', 'Ubuntu 24.04'],
    ['image', '0'],
    ['vpc_uuid', 'default'],
    ['ssh_keys', '[not-a-fingerprint]'],
    ['tags', '["bad tag"]'],
    ['tags', '["poolform:managed"]'],
    ['api_url', 'ftp://127.0.0.1'],
  ])('%s: %s is refused at that field', async (field, value) => {
    const found = errors(await validate(vm({ [field]: value })));
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((d) => d.path.includes(field) || d.message.includes(field))).toBe(true);
  });

  it('the startup script must fit user_data (65,536 bytes) after worst-case substitution', async () => {
    expect(USER_DATA_MAX_BYTES).toBe(DO_USER_DATA_LIMIT);
    expect(errors(await validate(vm({ startup_script: `'${'x'.repeat(64_000)}'` })))).toEqual([]);
    const over = `'${'x'.repeat(65_300)}{checkin_jwt}'`;
    const found = errors(await validate(vm({ startup_script: over })));
    expect(found.map((d) => d.code)).toEqual(['user-data-too-large']);
    expect(found[0]?.message).toContain('DigitalOcean user_data is limited to 65536 bytes');
  });

  it('a misspelt type gets a hint', async () => {
    const found = errors(await validate(vm({ type: 'digitalocean' })));
    expect(found.some((d) => d.message.includes('did you mean "digital_ocean"'))).toBe(true);
  });

  it('a DigitalOcean DNS provider needs a token reference; ttl is at least 30', async () => {
    const dns = 'kind: DnsProvider\nname: dodns\ntype: digital_ocean\n';
    expect(errors(await validate(dns)).map((d) => d.code)).toContain('schema');
    expect(errors(await validate(`${dns}token: \${env:DIGITALOCEAN_TOKEN}\n`))).toEqual([]);
    expect(errors(await validate(`${dns}token: \${env:T}\nttl: 10\n`)).length).toBeGreaterThan(0);
    expect(errors(await validate(`${dns}token: \${env:T}\ndomain: Example.COM\n`)).length).toBeGreaterThan(0);
  });
});
