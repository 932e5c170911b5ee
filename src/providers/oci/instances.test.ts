import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OciVmProvider } from '../../generated/config.ts';
import { launchDetails, mapLifecycle, retryToken, toObservedVm } from './instances.ts';
import { assertMetadataFits, instanceMetadata, metadataBytes } from './metadata.ts';
import { ownedBy, ownershipTags, TAG_MANAGED, TAG_PROVIDER } from './tags.ts';

const config: OciVmProvider = {
  kind: 'VmProvider',
  name: 'oci',
  type: 'oci',
  max_instances: 3,
  startup_script: '#!/bin/sh\n',
  tenancy_ocid: 'ocid1.tenancy.oc1..t',
  user_ocid: 'ocid1.user.oc1..u',
  fingerprint: '20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34',
  private_key: '${file:k.pem}',
  region: 'us-ashburn-1',
  compartment_id: 'ocid1.compartment.oc1..c',
  availability_domain: 'Uocm:US-ASHBURN-AD-1',
  shape: 'VM.Standard.E5.Flex',
  shape_config: { ocpus: 2 },
  image_id: 'ocid1.image.oc1.iad.i',
  subnet_id: 'ocid1.subnet.oc1.iad.s',
  freeform_tags: { team: 'vdi', [TAG_PROVIDER]: 'spoof' },
};
const request = { intent_id: 'i-1', server_id: 's-1', hostname: 'kasm-1', pool: 'p', autoscale: 'a', user_data: '#!/bin/sh\necho hi\n' };

describe('OCI instance mapping', () => {
  it('retry tokens are deterministic per provider and intent, at most 64 characters, distinct across intents', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        (provider, a, b) => {
          expect(retryToken(provider, a)).toBe(retryToken(provider, a));
          expect(retryToken(provider, a).length).toBeLessThanOrEqual(64);
          expect(retryToken(provider, a)).toMatch(/^[a-z0-9-]+$/);
          if (a !== b) expect(retryToken(provider, a)).not.toBe(retryToken(provider, b));
        },
      ),
    );
  });

  it('the launch body: flex config, image source, VNIC, base64 user_data; poolform tags win over the config', () => {
    const d = launchDetails(config, request);
    expect(d).toMatchObject({
      compartmentId: config.compartment_id,
      availabilityDomain: config.availability_domain,
      displayName: 'kasm-1',
      shape: 'VM.Standard.E5.Flex',
      shapeConfig: { ocpus: 2 },
      sourceDetails: { sourceType: 'image', imageId: config.image_id },
      createVnicDetails: { subnetId: config.subnet_id, assignPublicIp: false },
    });
    expect(Buffer.from(d.metadata?.['user_data'] ?? '', 'base64').toString()).toBe(request.user_data);
    expect(d.freeformTags).toMatchObject({ team: 'vdi', [TAG_PROVIDER]: 'oci', [TAG_MANAGED]: 'true' });
    expect(ownedBy(d.freeformTags, 'oci')).toBe(true);
    expect(ownedBy(ownershipTags('other', request), 'oci')).toBe(false);
  });

  it("lifecycle states map to server states; an instance without a server tag is not poolform's", () => {
    expect(['PROVISIONING', 'RUNNING', 'STOPPING', 'STOPPED', 'TERMINATING', 'TERMINATED', 'MOVING'].map(mapLifecycle)).toEqual([
      'pending',
      'running',
      'stopping',
      'stopped',
      'shutting-down',
      'terminated',
      'pending',
    ]);
    const base = { id: 'ocid1.instance.oc1.iad.x', lifecycleState: 'RUNNING', displayName: 'kasm-1' } as never;
    expect(toObservedVm(base, undefined)).toBeUndefined();
  });

  it('metadata size: base64 grows by 4/3; over 32,000 bytes is refused with nothing created', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (script) => {
        const m = instanceMetadata(script, undefined);
        expect(metadataBytes(m)).toBe(Buffer.byteLength(JSON.stringify(m)));
        expect(m['user_data']?.length).toBe(Math.ceil(Buffer.byteLength(script) / 3) * 4);
      }),
    );
    expect(() => assertMetadataFits('oci', instanceMetadata('x'.repeat(23_900), undefined))).not.toThrow();
    expect(() => assertMetadataFits('oci', instanceMetadata('x'.repeat(24_000), undefined))).toThrow(/32000 bytes/);
  });
});
