// OCI DNS provider (`DnsProvider` type `oci`): the factory the provider registry
// calls. See provider.ts for how records are written and owned. SDK: oci-dns
// DnsClient with oci-common API-key signing; `endpoint` (tests) replaces the
// regional https://dns.{region}.oci.oraclecloud.com host.
import { DnsClient } from 'oci-dns';
import type { OciDnsProvider } from '../../generated/config.ts';
import { ociAuthProvider, ociClientConfiguration, type OciSigningSecrets } from '../oci/auth.ts';
import type { DnsProviderClient } from '../types.ts';
import { createOciDnsProviderClient, type OciDnsProviderInternals } from './provider.ts';

export { DEFAULT_TTL } from './provider.ts';

export interface OciDnsProviderOptions extends Pick<OciDnsProviderInternals, 'sleep' | 'maxRetries' | 'retryBaseMs'> {
  config: OciDnsProvider;
  secrets: OciSigningSecrets;
}

export function createOciDnsProvider(options: OciDnsProviderOptions): DnsProviderClient {
  const { config, secrets, ...tuning } = options;
  const client = new DnsClient({ authenticationDetailsProvider: ociAuthProvider(config, secrets) }, ociClientConfiguration());
  if (config.endpoint !== undefined) client.endpoint = config.endpoint;
  else client.regionId = config.region;
  return createOciDnsProviderClient({ config, client, ...tuning });
}
