// `poolform validate` for Azure providers: the worked example of
// docs/providers/azure.md is valid, and each schema shape and rule gives its
// diagnostic at the right field.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/model.ts';
import { docExample as sharedDocExample, errors, yamlDoc, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/azure.md', import.meta.url);

/** The YAML block after the "validated by test/azure-validate.test.ts" marker. */
function docExample(): string {
  return sharedDocExample(DOC, 'test/azure-validate.test.ts');
}

function validate(yaml: string): Promise<Diagnostic[]> {
  return validateYaml('poolform-azure-validate-', yaml);
}

const SUB = '00000000-0000-0000-0000-000000000001';
const SUBNET = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;

function vm(over: Record<string, string> = {}): string {
  return yamlDoc(
    {
      kind: 'VmProvider',
      name: 'az',
      type: 'azure',
      max_instances: '3',
      subscription_id: SUB,
      tenant_id: 'contoso.onmicrosoft.com',
      resource_group: 'rg-pool',
      location: 'eastus',
      vm_size: 'Standard_B2s',
      image: '{ publisher: Canonical, offer: ubuntu-24_04-lts, sku: server }',
      os_type: 'linux',
      subnet_id: SUBNET,
      admin_username: 'poolform',
      ssh_public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops',
      startup_script: "'#!/bin/sh\\necho {server_id}\\n'",
    },
    over,
  );
}

describe('validate: Azure providers', () => {
  it('the worked example in docs/providers/azure.md is valid', async () => {
    expect(errors(await validate(docExample()))).toEqual([]);
  });

  it('a minimal Linux provider with DefaultAzureCredential (no client_id/secret) is valid', async () => {
    expect(errors(await validate(vm()))).toEqual([]);
  });

  it.each([
    ['subscription_id', 'not-a-guid'],
    ['location', 'East US'],
    ['vm_size', 'D4s_v5'],
    ['image', '{ publisher: Canonical, offer: ubuntu }'],
    ['image', '{ id: /subscriptions/x/resourceGroups/r/providers/Microsoft.Network/images/i }'],
    ['os_type', 'macos'],
    ['subnet_id', '/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v'],
    ['os_disk_type', 'UltraSSD_LRS'],
    ['os_disk_size_gb', '0'],
    ['cloud', 'germany'],
    ['endpoint', 'http://127.0.0.1:1'],
    ['client_secret', 'plaintext-secret'],
  ])('%s: %s is refused at that field', async (field, value) => {
    const found = errors(await validate(vm({ client_id: '00000000-0000-0000-0000-000000000003', [field]: value })));
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((d) => d.path.includes(field) || d.message.includes(field))).toBe(true);
  });

  it('image id of a gallery image version, and tags within the limits, are accepted; too many tags are not', async () => {
    const gallery = `{ id: /subscriptions/${SUB}/resourceGroups/rg-img/providers/Microsoft.Compute/galleries/corp/images/agent/versions/1.2.3 }`;
    expect(errors(await validate(vm({ image: gallery, tags: '{ team: vdi }' })))).toEqual([]);
    const many = `{ ${Array.from({ length: 41 }, (_, i) => `t${i}: v`).join(', ')} }`;
    expect(errors(await validate(vm({ tags: many }))).map((d) => d.code)).toContain('schema');
    expect(errors(await validate(vm({ tags: '{ "a/b": v }' }))).map((d) => d.code)).toContain('schema');
  });

  it('the startup script must fit customData (65,535 bytes) after worst-case substitution', async () => {
    const fits = `'${'x'.repeat(60_000)}'`;
    expect(errors(await validate(vm({ startup_script: fits })))).toEqual([]);
    // 65,000 literal bytes plus {checkin_jwt} (up to 600 bytes when rendered) do not fit.
    const over = `'${'x'.repeat(65_000)}{checkin_jwt}'`;
    const found = errors(await validate(vm({ startup_script: over })));
    expect(found.map((d) => d.code)).toEqual(['user-data-too-large']);
    expect(found[0]?.message).toContain('Azure customData is limited to 65535 bytes');
  });

  it('an Azure DNS provider needs subscription, tenant and resource group', async () => {
    const dns = `kind: DnsProvider\nname: azdns\ntype: azure\nsubscription_id: ${SUB}\ntenant_id: t\n`;
    expect(errors(await validate(dns)).map((d) => d.code)).toContain('schema');
    expect(errors(await validate(`${dns}resource_group: rg-dns\n`))).toEqual([]);
    expect(errors(await validate(`${dns}resource_group: rg-dns\nclient_secret: \${env:S}\n`)).map((d) => d.code)).toEqual(['azure-credentials']);
  });
});
