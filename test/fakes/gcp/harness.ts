// Helpers for suites that run the GCP providers against the fake: provider
// configs aimed at it (`endpoint` http://127.0.0.1:PORT), an auth client that
// yields a static token the fake accepts (google-auth-library OAuth2Client
// with a preset access token: no token endpoint call), and tuning with instant
// sleeps so tests assert call counts, never durations.
import { OAuth2Client } from 'google-auth-library';
import type { GcpDnsProvider, GcpVmProvider } from '../../../src/generated/config.ts';
import { createGcpVmProvider, type GcpAuthClient, type GcpVmProviderOptions } from '../../../src/providers/gcp/index.ts';
import { createGcpDnsProvider, type GcpDnsProviderOptions } from '../../../src/providers/gcp-dns/index.ts';
import type { DnsProviderClient, VmProviderClient } from '../../../src/providers/types.ts';
import type { FakeGcp } from './server.ts';

export const TEST_ZONE = 'us-east4-b';

/** Tuning for tests: no real waiting between polls and retries. */
export const FAST_GCP_TUNING = {
  sleep: async () => undefined,
  pollIntervalMs: 1,
  pollMaxIntervalMs: 5,
  retry: { maxRetries: 3, baseMs: 1, maxMs: 5 },
} as const;

/** An auth client holding a token the fake accepts. */
export function staticTokenAuth(fake: FakeGcp): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: fake.issueToken(), expiry_date: Date.now() + 3_600_000, token_type: 'Bearer' });
  return auth;
}

export function gcpVmConfig(fake: FakeGcp, over: Partial<GcpVmProvider> = {}): GcpVmProvider {
  return {
    kind: 'VmProvider',
    name: 'gcp',
    type: 'gcp',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    project: fake.project,
    zone: TEST_ZONE,
    machine_type: 'e2-standard-4',
    source_image: 'projects/debian-cloud/global/images/family/debian-12',
    endpoint: fake.url,
    ...over,
  };
}

export function gcpDnsConfig(fake: FakeGcp, over: Partial<GcpDnsProvider> = {}): GcpDnsProvider {
  return { kind: 'DnsProvider', name: 'gdns', type: 'gcp', project: fake.project, endpoint: fake.url, ...over };
}

export function fakeGcpVmProvider(fake: FakeGcp, over: Partial<GcpVmProvider> = {}, options: Partial<GcpVmProviderOptions> = {}): VmProviderClient {
  return createGcpVmProvider({
    config: gcpVmConfig(fake, over),
    authClient: staticTokenAuth(fake) as unknown as GcpAuthClient,
    ...FAST_GCP_TUNING,
    ...options,
  });
}

export function fakeGcpDnsProvider(fake: FakeGcp, over: Partial<GcpDnsProvider> = {}, options: Partial<GcpDnsProviderOptions> = {}): DnsProviderClient {
  return createGcpDnsProvider({
    config: gcpDnsConfig(fake, over),
    authClient: staticTokenAuth(fake) as unknown as GcpAuthClient,
    ...FAST_GCP_TUNING,
    ...options,
  });
}
