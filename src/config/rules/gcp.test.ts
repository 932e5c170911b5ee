import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

function provider(extra: string): string {
  return `kind: VmProvider
name: gce
type: gcp
max_instances: 3
project: my-project-123
zone: us-east4-b
machine_type: e2-standard-4
source_image: projects/debian-cloud/global/images/family/debian-12
startup_script: "echo {server_id}"
${extra}`;
}

const load = (extra: string) => loadStrings({ 'a.yaml': provider(extra) });

describe('gcp provider rules', () => {
  it('accepts a provider with Application Default Credentials and a same-region subnetwork', async () => {
    expect(codes(await load('subnetwork: regions/us-east4/subnetworks/agents\n'))).toEqual([]);
  });

  it("gcp-metadata-reserved: the startup-script keys and poolform-* are poolform's", async () => {
    const r = await load('metadata:\n  windows-startup-script-ps1: x\n  poolform-server-id: y\n  enable-oslogin: "TRUE"\n');
    expect(only(r, 'gcp-metadata-reserved').map((d) => d.path)).toEqual(['/metadata/windows-startup-script-ps1', '/metadata/poolform-server-id']);
  });

  it('gcp-metadata-too-large: metadata plus the worst-case script at 512 KB', async () => {
    expect(codes(await load(`metadata:\n  blob: "${'b'.repeat(523_000)}"\n`))).toEqual(['gcp-metadata-too-large']);
  });

  it("gcp-subnetwork-region: the subnetwork must be in the zone's region", async () => {
    expect(only(await load('subnetwork: projects/host-1/regions/us-central1/subnetworks/s\n'), 'gcp-subnetwork-region').map((d) => d.path)).toEqual([
      '/subnetwork',
    ]);
  });

  it('gcp-scopes-without-service-account', async () => {
    expect(codes(await load('scopes: [https://www.googleapis.com/auth/cloud-platform]\n'))).toEqual(['gcp-scopes-without-service-account']);
    expect(codes(await load('scopes: [https://www.googleapis.com/auth/cloud-platform]\nservice_account_email: default\n'))).toEqual([]);
  });
});
