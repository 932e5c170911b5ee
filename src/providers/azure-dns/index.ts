// Azure DNS provider (`DnsProvider` type `azure`): the factory the provider
// registry calls. See provider.ts for the contracts and how they are met.
import { DnsManagementClient } from '@azure/arm-dns';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AzureDnsProvider } from '../../generated/config.ts';
import { armClientOptions, type AzureRetryOptions } from '../azure/client-options.ts';
import { cloudHosts } from '../azure/cloud.ts';
import { createAzureCredential } from '../azure/credential.ts';
import type { DnsProviderClient } from '../types.ts';
import { type AzureDnsProviderInternals, createAzureDnsProviderClient } from './provider.ts';

export { DEFAULT_TTL } from './provider.ts';
export { META_MANAGED, META_SERVER_ID } from './records.ts';

export interface AzureDnsProviderOptions extends Pick<AzureDnsProviderInternals, 'snapshotMaxAgeMs' | 'concurrency' | 'now'> {
  config: AzureDnsProvider;
  /** Resolved client_secret. */
  clientSecret?: string;
  credential?: TokenCredential;
  client?: DnsManagementClient;
  retry?: AzureRetryOptions;
  additionalPolicies?: PipelinePolicy[];
}

export function createAzureDnsClient(settings: {
  credential: TokenCredential;
  subscriptionId: string;
  endpoint: string;
  retry?: AzureRetryOptions;
  additionalPolicies?: PipelinePolicy[];
}): DnsManagementClient {
  const options = armClientOptions(settings);
  // arm-dns 5.x builds its URLs from `$host`, its pipeline from `endpoint`.
  return new DnsManagementClient(settings.credential, settings.subscriptionId, { ...options, $host: settings.endpoint });
}

export function createAzureDnsProvider(options: AzureDnsProviderOptions): DnsProviderClient {
  const { config } = options;
  const hosts = cloudHosts(config);
  const client =
    options.client ??
    createAzureDnsClient({
      credential:
        options.credential ??
        createAzureCredential({
          where: `DnsProvider ${config.name}`,
          tenantId: config.tenant_id,
          clientId: config.client_id,
          clientSecret: options.clientSecret,
          useManagedIdentity: config.use_managed_identity,
          authorityHost: hosts.authorityHost,
          ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
        }),
      subscriptionId: config.subscription_id,
      endpoint: hosts.resourceManager,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
    });
  return createAzureDnsProviderClient({
    config,
    client,
    ...(options.snapshotMaxAgeMs !== undefined ? { snapshotMaxAgeMs: options.snapshotMaxAgeMs } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
