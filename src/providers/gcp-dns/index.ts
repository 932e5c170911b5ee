// Google Cloud DNS provider (`DnsProvider` type `gcp`): the factory the
// provider registry calls. See provider.ts for the contracts.
//
// SDK: @google-cloud/dns (REST over @google-cloud/common). Its `apiEndpoint`
// option takes a host only and the client always builds `https://{host}/dns/v1`;
// a custom `endpoint` with another scheme or a port (the tests' loopback fake
// is plain HTTP) is applied by setting the client's public `baseUrl` to
// `{endpoint}/dns/v1` after construction. Retries: @google-cloud/common
// retries 429/5xx itself (3 times, exponential backoff; the DNS client offers
// no option to change that), so the provider adds only one retry of its own
// (shared/backoff.ts) by default.
import { DNS } from '@google-cloud/dns';
import type { GcpDnsProvider } from '../../generated/config.ts';
import type { GcpAuthClient } from '../gcp/client.ts';
import { CLOUD_PLATFORM_SCOPE, parseServiceAccountKey } from '../gcp/client.ts';
import type { DnsProviderClient } from '../types.ts';
import { createGcpDnsProviderClient, type GcpDnsProviderInternals } from './provider.ts';

export interface GcpDnsProviderOptions
  extends Pick<GcpDnsProviderInternals, 'now' | 'sleep' | 'retry' | 'snapshotMaxAgeMs' | 'maxRecordsPerChange' | 'callTimeoutMs'> {
  config: GcpDnsProvider;
  credentialsJson?: string;
  authClient?: GcpAuthClient;
  /** Injected client (tests). */
  dns?: DNS;
}

export function createDnsClient(config: GcpDnsProvider, auth: { credentialsJson?: string; authClient?: GcpAuthClient }): DNS {
  const where = `DnsProvider ${config.name}`;
  const endpoint = config.endpoint ? new URL(config.endpoint) : undefined;
  const credentials = auth.authClient
    ? { authClient: auth.authClient as never }
    : auth.credentialsJson !== undefined
      ? { credentials: parseServiceAccountKey(where, auth.credentialsJson) }
      : {};
  const dns = new DNS({
    projectId: config.project,
    scopes: [CLOUD_PLATFORM_SCOPE],
    ...(endpoint ? { apiEndpoint: endpoint.host } : {}),
    ...credentials,
  });
  if (endpoint) dns.baseUrl = `${endpoint.origin}/dns/v1`;
  return dns;
}

export function createGcpDnsProvider(options: GcpDnsProviderOptions): DnsProviderClient {
  const { config, credentialsJson, authClient, dns, ...tuning } = options;
  return createGcpDnsProviderClient({
    config,
    dns: dns ?? createDnsClient(config, { ...(credentialsJson !== undefined ? { credentialsJson } : {}), ...(authClient ? { authClient } : {}) }),
    ...tuning,
  });
}
