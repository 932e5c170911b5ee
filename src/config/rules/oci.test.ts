import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

function provider(extra: string, shape = 'VM.Standard.E5.Flex', ad = 'Uocm:US-ASHBURN-AD-1'): string {
  return `kind: VmProvider
name: oci
type: oci
max_instances: 3
tenancy_ocid: ocid1.tenancy.oc1..aaaat
user_ocid: ocid1.user.oc1..aaaau
fingerprint: 20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34
private_key: \${env:OCI_KEY}
region: us-ashburn-1
compartment_id: ocid1.compartment.oc1..aaaac
availability_domain: ${ad}
shape: ${shape}
image_id: ocid1.image.oc1.iad.aaaai
subnet_id: ocid1.subnet.oc1.iad.aaaas
startup_script: "echo {server_id}"
${extra}`;
}

const load = (extra: string, shape?: string, ad?: string) => loadStrings({ 'a.yaml': provider(extra, shape, ad) });

describe('oci provider rules', () => {
  it('accepts a flex shape with shape_config and a fixed shape without', async () => {
    expect(codes(await load('shape_config: { ocpus: 1 }\n'))).toEqual([]);
    expect(codes(await load('', 'VM.Standard2.1'))).toEqual([]);
  });

  it('oci-shape-config: flex needs it (at shape), fixed refuses it (at shape_config)', async () => {
    expect(only(await load(''), 'oci-shape-config').map((d) => d.path)).toEqual(['/shape']);
    expect(only(await load('shape_config: { ocpus: 1 }\n', 'VM.Standard2.1'), 'oci-shape-config').map((d) => d.path)).toEqual(['/shape_config']);
  });

  it('oci-metadata-too-large: the base64 script plus ssh_authorized_keys over 32,000 bytes', async () => {
    const keys = 'ssh-ed25519 AAAA '.repeat(2000);
    expect(codes(await load(`shape_config: { ocpus: 1 }\nssh_authorized_keys: "${keys}"\n`))).toEqual(['oci-metadata-too-large']);
  });

  it('oci-availability-domain-region: the AD must be in the region', async () => {
    expect(
      only(await load('shape_config: { ocpus: 1 }\n', undefined, 'Uocm:EU-FRANKFURT-1-AD-1'), 'oci-availability-domain-region').map((d) => d.path),
    ).toEqual(['/availability_domain']);
  });
});
