// Google Cloud VM provider (`VmProvider` type `gcp`): the factory the provider
// registry calls. See provider.ts for the contracts and how they are met.
import type { GcpVmProvider } from '../../generated/config.ts';
import type { VmProviderClient } from '../types.ts';
import { createComputeClients, type GcpAuthClient, type GcpComputeClients } from './client.ts';
import { createGcpVmProviderClient, type GcpVmProviderInternals } from './provider.ts';

export { computeClientOptions, createComputeClients, parseServiceAccountKey } from './client.ts';
export type { GcpAuthClient, GcpComputeClients } from './client.ts';
export { toGcpError } from './errors.ts';
export { clearGcpCaches } from './provider.ts';
export { assertStartupScriptFits, METADATA_TOTAL_MAX_BYTES, METADATA_VALUE_MAX_BYTES, startupScriptKey } from './startup-script.ts';
export * from './labels.ts';
export { instanceName, requestIdFor } from './names.ts';

export interface GcpVmProviderOptions
  extends Pick<
    GcpVmProviderInternals,
    | 'now'
    | 'sleep'
    | 'pollIntervalMs'
    | 'pollMaxIntervalMs'
    | 'operationTimeoutMs'
    | 'retry'
    | 'snapshotMaxAgeMs'
    | 'pageSize'
    | 'destroyConcurrency'
    | 'callTimeoutMs'
  > {
  config: GcpVmProvider;
  /** Resolved credentials_json (a service-account key; secret). */
  credentialsJson?: string;
  /** Injected auth client (tests: a static token); default from credentials_json or ADC. */
  authClient?: GcpAuthClient;
  /** Injected clients (tests). */
  clients?: GcpComputeClients;
}

export function createGcpVmProvider(options: GcpVmProviderOptions): VmProviderClient {
  const { config, credentialsJson, authClient, clients: injected, ...tuning } = options;
  const clients =
    injected ??
    createComputeClients({
      where: `VmProvider ${config.name}`,
      project: config.project,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(credentialsJson !== undefined ? { credentialsJson } : {}),
      ...(authClient ? { authClient } : {}),
    });
  return createGcpVmProviderClient({ config, clients, ...tuning });
}
