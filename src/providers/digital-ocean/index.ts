// DigitalOcean VM provider (`VmProvider` type `digital_ocean`): the factory the
// provider registry calls. See provider.ts for the contracts and how they are met.
import type { DigitalOceanVmProvider } from '../../generated/config.ts';
import type { VmProviderClient } from '../types.ts';
import { createDoClient, type DoClient, type DoClientOptions } from './client.ts';
import { createDoVmProviderClient, type DoVmProviderInternals } from './provider.ts';

export { createDoClient, DEFAULT_API_URL, DoApiError, MAX_PER_PAGE } from './client.ts';
export type { DoClient, DoClientOptions } from './client.ts';
export { toDoError } from './errors.ts';
export { clearDigitalOceanCaches, dropletBody } from './provider.ts';
export * from './tags.ts';
export { assertUserDataFits, USER_DATA_MAX_BYTES } from './user-data.ts';

export interface DoVmProviderOptions
  extends Pick<
    DoVmProviderInternals,
    'now' | 'sleep' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'activeTimeoutMs' | 'snapshotMaxAgeMs' | 'destroyConcurrency' | 'tagWindowMs'
  > {
  config: DigitalOceanVmProvider;
  /** The resolved token (secret). */
  token: string;
  /** Injected client (tests); default built from the config. */
  client?: DoClient;
  /** Client tuning (tests: short retry delays). */
  clientOptions?: Omit<DoClientOptions, 'token' | 'apiUrl'>;
}

export function createDigitalOceanVmProvider(options: DoVmProviderOptions): VmProviderClient {
  const { config, token, client, clientOptions, ...tuning } = options;
  return createDoVmProviderClient({
    config,
    client: client ?? createDoClient({ token, ...(config.api_url !== undefined ? { apiUrl: config.api_url } : {}), ...clientOptions }),
    ...tuning,
  });
}
