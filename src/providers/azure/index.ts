// Azure VM provider (`VmProvider` type `azure`): the factory the provider
// registry calls. See provider.ts for the contracts and how they are met.
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AzureVmProvider } from '../../generated/config.ts';
import type { VmProviderClient } from '../types.ts';
import { assertAdminPassword } from './admin-password.ts';
import { type AzureArmClients, type AzureRetryOptions, createAzureArmClients } from './client.ts';
import { cloudHosts } from './cloud.ts';
import { createAzureCredential } from './credential.ts';
import { createAzureVmProviderClient, type AzureVmProviderInternals } from './provider.ts';

export { armClientOptions, createAzureArmClients } from './client.ts';
export type { AzureArmClients, AzureRetryOptions } from './client.ts';
export { AZURE_CLOUDS, cloudHosts } from './cloud.ts';
export { createAzureCredential } from './credential.ts';
export { assertCustomDataFits, CUSTOM_DATA_MAX_BYTES } from './custom-data.ts';
export { toAzureError } from './errors.ts';
export { clearAzureCaches } from './provider.ts';
export * from './tags.ts';

/** Secrets of an Azure provider config, resolved from their references by the registry. */
export interface AzureSecrets {
  clientSecret?: string;
  adminPassword?: string;
}

export interface AzureVmProviderOptions
  extends Pick<
    AzureVmProviderInternals,
    | 'now'
    | 'pollIntervalMs'
    | 'maxPollIntervalMs'
    | 'sleep'
    | 'operationTimeoutMs'
    | 'snapshotMaxAgeMs'
    | 'sweepIntervalMs'
    | 'orphanGraceMs'
    | 'destroyConcurrency'
  > {
  config: AzureVmProvider;
  secrets?: AzureSecrets;
  /** Injected credential (tests); default from the config (credential.ts). */
  credential?: TokenCredential;
  /** Injected clients (tests); default built from the config. */
  clients?: AzureArmClients;
  retry?: AzureRetryOptions;
  /** Extra pipeline policies for every Azure client (tests: trust the fake's certificate). */
  additionalPolicies?: PipelinePolicy[];
}

export function createAzureVmProvider(options: AzureVmProviderOptions): VmProviderClient {
  const { config } = options;
  if (options.secrets?.adminPassword !== undefined) assertAdminPassword(config.name, options.secrets.adminPassword, config.os_type);
  const hosts = cloudHosts(config);
  const clients =
    options.clients ??
    createAzureArmClients({
      credential:
        options.credential ??
        createAzureCredential({
          where: `VmProvider ${config.name}`,
          tenantId: config.tenant_id,
          clientId: config.client_id,
          clientSecret: options.secrets?.clientSecret,
          useManagedIdentity: config.use_managed_identity,
          authorityHost: hosts.authorityHost,
          ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
        }),
      subscriptionId: config.subscription_id,
      endpoint: hosts.resourceManager,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
    });
  const { config: _c, secrets, credential: _cr, clients: _cl, retry: _r, additionalPolicies: _a, ...tuning } = options;
  return createAzureVmProviderClient({
    config,
    compute: clients.compute,
    network: clients.network,
    ...(secrets?.adminPassword !== undefined ? { adminPassword: secrets.adminPassword } : {}),
    ...tuning,
  });
}
