// The ARM SDK clients of one provider config, pointed at its cloud's Resource
// Manager host (or `endpoint`) with the TokenCredential from credential.ts.
//
// Retries: the SDK pipeline's own retry policies handle 429/503 with
// Retry-After (throttlingRetryPolicy) and transient network/5xx failures
// (exponential backoff); both are bounded here by `maxRetries` (and the
// backoff by `maxRetryDelayInMs`; Azure's Retry-After is honoured as sent). Capacity and quota refusals (409) are not retried: they
// surface as PoolformError and the autoscaler backs off.
//
// `additionalPolicies` lets tests trust the fake's self-signed certificate
// (a per-call policy that sets an https.Agent with `ca` on each request); the
// production path adds none.
import type { TokenCredential } from '@azure/core-auth';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { armClientOptions, type AzureRetryOptions } from './client-options.ts';

export { armClientOptions, type AzureRetryOptions } from './client-options.ts';

export interface AzureClientSettings {
  credential: TokenCredential;
  subscriptionId: string;
  /** Resource Manager endpoint, e.g. https://management.azure.com. */
  endpoint: string;
  retry?: AzureRetryOptions;
  additionalPolicies?: PipelinePolicy[];
}

export interface AzureArmClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
}

export function createAzureArmClients(settings: AzureClientSettings): AzureArmClients {
  const options = armClientOptions(settings);
  return {
    compute: new ComputeManagementClient(settings.credential, settings.subscriptionId, options),
    network: new NetworkManagementClient(settings.credential, settings.subscriptionId, options),
  };
}
