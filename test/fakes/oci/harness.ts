// Test wiring for the OCI fake: one RSA API signing key per test process (the
// fake verifies signatures with its public half), provider configs pointing at
// the fake's endpoint, and clients with instant sleeps (tests assert call
// counts, never durations).
import { generateKeyPairSync } from 'node:crypto';
import type { OciDnsProvider, OciVmProvider } from '../../../src/generated/config.ts';
import { createOciDnsProvider } from '../../../src/providers/oci-dns/index.ts';
import { createOciVmProvider, type OciVmProviderOptions } from '../../../src/providers/oci/index.ts';
import type { DnsProviderClient, VmProviderClient } from '../../../src/providers/types.ts';
import { type FakeOci, type FakeOciOptions, startOciFake } from './server.ts';

export const TENANCY = 'ocid1.tenancy.oc1..aaaatenancy';
export const USER = 'ocid1.user.oc1..aaaauser';
export const FINGERPRINT = '20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34';
export const COMPARTMENT = 'ocid1.compartment.oc1..aaaacompartment';
export const SUBNET = 'ocid1.subnet.oc1.iad.aaaasubnet';
export const IMAGE = 'ocid1.image.oc1.iad.aaaaimage';
export const AD = 'Uocm:US-ASHBURN-AD-1';

let keys: { privateKey: string; publicKey: string } | undefined;
export function testKeys(): { privateKey: string; publicKey: string } {
  keys ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return keys;
}

export function startFake(over: Partial<FakeOciOptions> = {}): Promise<FakeOci> {
  return startOciFake({
    tenancy: TENANCY,
    user: USER,
    fingerprint: FINGERPRINT,
    publicKeyPem: testKeys().publicKey,
    shapes: [
      { shape: 'VM.Standard.E5.Flex', defaultPerOcpuInGBs: 12 },
      { shape: 'VM.Standard2.2', ocpus: 2, memoryInGBs: 30 },
    ],
    ...over,
  });
}

export function ociVmConfig(fake: FakeOci, over: Partial<OciVmProvider> = {}): OciVmProvider {
  return {
    kind: 'VmProvider',
    name: 'oci',
    type: 'oci',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    tenancy_ocid: TENANCY,
    user_ocid: USER,
    fingerprint: FINGERPRINT,
    private_key: '${env:OCI_KEY}',
    region: 'us-ashburn-1',
    compartment_id: COMPARTMENT,
    availability_domain: AD,
    shape: 'VM.Standard.E5.Flex',
    shape_config: { ocpus: 1, memory_in_gbs: 8 },
    image_id: IMAGE,
    subnet_id: SUBNET,
    endpoint: fake.url,
    ...over,
  };
}

export function ociDnsConfig(fake: FakeOci, over: Partial<OciDnsProvider> = {}): OciDnsProvider {
  return {
    kind: 'DnsProvider',
    name: 'oci-dns',
    type: 'oci',
    tenancy_ocid: TENANCY,
    user_ocid: USER,
    fingerprint: FINGERPRINT,
    private_key: '${env:OCI_KEY}',
    region: 'us-ashburn-1',
    compartment_id: COMPARTMENT,
    endpoint: fake.url,
    ...over,
  };
}

const instant = async (): Promise<void> => undefined;

export function fakeVmProvider(
  fake: FakeOci,
  over: Partial<OciVmProvider> = {},
  tuning: Partial<Omit<OciVmProviderOptions, 'config' | 'secrets'>> = {},
): VmProviderClient {
  return createOciVmProvider({ config: ociVmConfig(fake, over), secrets: { privateKey: testKeys().privateKey }, sleep: instant, ...tuning });
}

export function fakeDnsProvider(fake: FakeOci, over: Partial<OciDnsProvider> = {}): DnsProviderClient {
  return createOciDnsProvider({ config: ociDnsConfig(fake, over), secrets: { privateKey: testKeys().privateKey }, sleep: instant });
}
