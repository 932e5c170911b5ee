// Options every ARM SDK client of poolform gets (compute, network, DNS):
// endpoint, token scope, retry bounds, extra pipeline policies. No SDK import,
// so the DNS provider does not load the compute and network SDKs.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { armScope } from './cloud.ts';

export interface AzureRetryOptions {
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** Base delay for exponential backoff of transient errors (default 800 ms). */
  retryDelayInMs?: number;
  /** Upper bound of one exponential-backoff delay (default 30 s); a Retry-After from Azure is honoured as sent. */
  maxRetryDelayInMs?: number;
}

export interface AzureClientOptionSettings {
  endpoint: string;
  retry?: AzureRetryOptions;
  additionalPolicies?: PipelinePolicy[];
}

/** Options shared by every ARM client: endpoint, scope, retry bounds, extra policies. */
export function armClientOptions(settings: AzureClientOptionSettings) {
  return {
    endpoint: settings.endpoint,
    credentials: { scopes: [armScope(settings.endpoint)] },
    credentialScopes: [armScope(settings.endpoint)],
    retryOptions: {
      maxRetries: settings.retry?.maxRetries ?? 5,
      retryDelayInMs: settings.retry?.retryDelayInMs ?? 800,
      maxRetryDelayInMs: settings.retry?.maxRetryDelayInMs ?? 30_000,
    },
    ...(settings.additionalPolicies ? { additionalPolicies: settings.additionalPolicies.map((policy) => ({ policy, position: 'perCall' as const })) } : {}),
  };
}
