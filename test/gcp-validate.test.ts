// `poolform validate` for Google Cloud providers: the worked example of
// docs/providers/gcp.md is valid, and each schema shape and rule gives its
// diagnostic at the right field.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../src/config/model.ts';
import { docExample as sharedDocExample, errors, yamlDoc, validateYaml } from './support/validate-harness.ts';

const DOC = new URL('../docs/providers/gcp.md', import.meta.url);

/** The YAML block after the "validated by test/gcp-validate.test.ts" marker. */
function docExample(): string {
  return sharedDocExample(DOC, 'test/gcp-validate.test.ts');
}

function validate(yaml: string, files: Record<string, string> = {}): Promise<Diagnostic[]> {
  return validateYaml('poolform-gcp-validate-', yaml, files);
}

function vm(over: Record<string, string> = {}): string {
  return yamlDoc(
    {
      kind: 'VmProvider',
      name: 'gce',
      type: 'gcp',
      max_instances: '3',
      project: 'my-project-123',
      zone: 'us-east4-b',
      machine_type: 'e2-standard-4',
      source_image: 'projects/debian-cloud/global/images/family/debian-12',
      startup_script: "'#!/bin/sh\\necho {server_id}\\n'",
    },
    over,
  );
}

describe('validate: GCP providers', () => {
  it('the worked example in docs/providers/gcp.md is valid', async () => {
    expect(errors(await validate(docExample(), { 'sa-key.json': '{}' }))).toEqual([]);
  });

  it('a minimal provider with Application Default Credentials is valid', async () => {
    expect(errors(await validate(vm()))).toEqual([]);
  });

  it.each([
    ['project', 'My_Project'],
    ['zone', 'us-east4'],
    ['zone', 'US-EAST4-B'],
    ['machine_type', 'E2 standard'],
    ['source_image', 'debian-12'],
    ['source_image', 'projects/debian-cloud/images/debian-12'],
    ['disk_size_gb', '5'],
    ['disk_type', 'gp3'],
    ['subnetwork', 'subnets/agents'],
    ['network_tags', '[Bad_Tag]'],
    ['labels', '{ Team: vdi }'],
    ['labels', '{ team: VDI }'],
    ['os_type', 'macos'],
    ['credentials_json', '\'{"type": "service_account"}\''],
    ['endpoint', 'compute.googleapis.com'],
  ])('%s: %s is refused at that field', async (field, value) => {
    const found = errors(await validate(vm({ [field]: value })));
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((d) => d.path.includes(field) || d.message.includes(field))).toBe(true);
  });

  it('image families, custom machine types, Shared VPC subnetworks and service accounts are accepted', async () => {
    const ok = vm({
      source_image: 'projects/my-images-1/global/images/kasm-agent-20261201',
      machine_type: 'custom-4-16384',
      subnetwork: 'projects/host-project-1/regions/us-east4/subnetworks/agents',
      service_account_email: 'agents@my-project-123.iam.gserviceaccount.com',
      scopes: '[https://www.googleapis.com/auth/cloud-platform]',
      network_tags: '[kasm-agent]',
      labels: '{ team: vdi }',
      credentials_json: '${env:GCP_KEY}',
    });
    expect(errors(await validate(ok))).toEqual([]);
  });

  it('gcp-subnetwork-region and gcp-scopes-without-service-account', async () => {
    const r = errors(
      await validate(vm({ subnetwork: 'regions/europe-west1/subnetworks/agents', scopes: '[https://www.googleapis.com/auth/devstorage.read_only]' })),
    );
    expect(r.map((d) => d.code).sort()).toEqual(['gcp-scopes-without-service-account', 'gcp-subnetwork-region']);
  });

  it('gcp-metadata-reserved: poolform sets the startup-script keys itself', async () => {
    const r = errors(await validate(vm({ metadata: '{ startup-script: "echo", enable-oslogin: "TRUE" }' })));
    expect(r.map((d) => d.code)).toEqual(['gcp-metadata-reserved']);
    expect(r[0]?.path).toContain('startup-script');
  });

  it('the startup script must fit one metadata value (262,144 bytes) after worst-case substitution', async () => {
    expect(errors(await validate(vm({ startup_script: `'${'x'.repeat(260_000)}'` })))).toEqual([]);
    // 262,000 literal bytes plus {checkin_jwt} (hundreds of bytes when rendered) do not fit.
    const found = errors(await validate(vm({ startup_script: `'${'x'.repeat(262_000)}{checkin_jwt}'` })));
    expect(found.map((d) => d.code)).toEqual(['user-data-too-large']);
    expect(found[0]?.message).toContain('262144 bytes');
  });

  it('gcp-metadata-too-large: script plus metadata items at 512 KB', async () => {
    const big = 'y'.repeat(200_000);
    const r = errors(await validate(vm({ startup_script: `'${'x'.repeat(250_000)}'`, metadata: `{ a: "${big}", b: "${'z'.repeat(80_000)}" }` })));
    expect(r.map((d) => d.code)).toEqual(['gcp-metadata-too-large']);
  });

  it('a Cloud DNS provider needs project; managed_zone is optional', async () => {
    const dns = 'kind: DnsProvider\nname: gdns\ntype: gcp\n';
    expect(errors(await validate(dns)).map((d) => d.code)).toContain('schema');
    expect(errors(await validate(`${dns}project: my-project-123\n`))).toEqual([]);
    expect(errors(await validate(`${dns}project: my-project-123\nmanaged_zone: Desk_Zone\n`)).map((d) => d.code)).toContain('schema');
  });
});
