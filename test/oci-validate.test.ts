// `poolform validate` for OCI providers: the worked example of
// docs/providers/oci.md is valid, and each schema shape and rule gives its
// diagnostic at the right field.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/model.ts';
import { docExample as sharedDocExample, errors, yamlDoc, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/oci.md', import.meta.url);

/** The YAML block after the "validated by test/oci-validate.test.ts" marker. */
function docExample(): string {
  return sharedDocExample(DOC, 'test/oci-validate.test.ts');
}

function validate(yaml: string): Promise<Diagnostic[]> {
  return validateYaml('poolform-oci-validate-', yaml, { 'oci_api_key.pem': '-----BEGIN PRIVATE KEY-----\nexample\n-----END PRIVATE KEY-----\n' });
}

function vm(over: Record<string, string> = {}): string {
  return yamlDoc(
    {
      kind: 'VmProvider',
      name: 'oci',
      type: 'oci',
      max_instances: '3',
      tenancy_ocid: 'ocid1.tenancy.oc1..aaaat',
      user_ocid: 'ocid1.user.oc1..aaaau',
      fingerprint: '20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34',
      private_key: '${file:oci_api_key.pem}',
      region: 'us-ashburn-1',
      compartment_id: 'ocid1.compartment.oc1..aaaac',
      availability_domain: 'Uocm:US-ASHBURN-AD-1',
      shape: 'VM.Standard.E5.Flex',
      shape_config: '{ ocpus: 1, memory_in_gbs: 8 }',
      image_id: 'ocid1.image.oc1.iad.aaaai',
      subnet_id: 'ocid1.subnet.oc1.iad.aaaas',
      startup_script: "'#!/bin/sh\\necho {server_id}\\n'",
    },
    over,
  );
}

describe('validate: OCI providers', () => {
  it('the worked example in docs/providers/oci.md is valid', async () => {
    expect(errors(await validate(docExample()))).toEqual([]);
  });

  it('a minimal flex provider is valid', async () => {
    expect(errors(await validate(vm()))).toEqual([]);
  });

  it.each([
    ['tenancy_ocid', 'ocid1.user.oc1..aaaa'],
    ['fingerprint', 'aa:bb'],
    ['private_key', 'plaintext-key'],
    ['region', 'US East'],
    ['compartment_id', 'my-compartment'],
    ['availability_domain', 'US-ASHBURN-AD-1'],
    ['shape', 'Standard.E5'],
    ['image_id', 'ubuntu-24.04'],
    ['subnet_id', 'ocid1.vcn.oc1.iad.aaaa'],
    ['boot_volume_size_gb', '20'],
    ['endpoint', 'ftp://x'],
  ])('%s: %s is refused at that field', async (field, value) => {
    const found = errors(await validate(vm({ [field]: value })));
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((d) => d.path.includes(field) || d.message.includes(field))).toBe(true);
  });

  it('a Flex shape needs shape_config; a fixed shape must not have one', async () => {
    expect(errors(await validate(vm({ shape_config: '' }))).map((d) => d.code)).toEqual(['oci-shape-config']);
    expect(errors(await validate(vm({ shape: 'VM.Standard2.2' }))).map((d) => d.code)).toEqual(['oci-shape-config']);
    expect(errors(await validate(vm({ shape: 'VM.Standard2.2', shape_config: '' })))).toEqual([]);
  });

  it('the availability domain must be in the region', async () => {
    expect(errors(await validate(vm({ availability_domain: 'Uocm:EU-FRANKFURT-1-AD-1' }))).map((d) => d.code)).toEqual(['oci-availability-domain-region']);
  });

  it('freeform tag keys starting with poolform- are refused', async () => {
    expect(errors(await validate(vm({ freeform_tags: '{ poolform-server: x }' }))).map((d) => d.code)).toContain('schema');
    expect(errors(await validate(vm({ freeform_tags: '{ team: vdi }' })))).toEqual([]);
  });

  it('the startup script must fit 32,000 bytes of metadata in base64 (24,000 bytes) after worst-case substitution', async () => {
    expect(errors(await validate(vm({ startup_script: `'${'x'.repeat(23_000)}'` })))).toEqual([]);
    const over = errors(await validate(vm({ startup_script: `'${'x'.repeat(23_800)}{checkin_jwt}'` })));
    expect(over.map((d) => d.code)).toEqual(['user-data-too-large']);
    expect(over[0]?.message).toContain('OCI metadata.user_data');
    // With ssh keys the total counts too.
    const keys = `'${'ssh-ed25519 AAAA '.repeat(200)}'`;
    expect(errors(await validate(vm({ startup_script: `'${'x'.repeat(22_000)}'`, ssh_authorized_keys: keys }))).map((d) => d.code)).toEqual([
      'oci-metadata-too-large',
    ]);
  });

  it('an OCI DNS provider needs the signing settings and compartment', async () => {
    const dns =
      'kind: DnsProvider\nname: ocidns\ntype: oci\ntenancy_ocid: ocid1.tenancy.oc1..aaaat\nuser_ocid: ocid1.user.oc1..aaaau\nfingerprint: 20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34\nprivate_key: ${file:oci_api_key.pem}\nregion: us-ashburn-1\n';
    expect(errors(await validate(dns)).map((d) => d.code)).toContain('schema');
    expect(errors(await validate(`${dns}compartment_id: ocid1.compartment.oc1..aaaac\n`))).toEqual([]);
  });
});
