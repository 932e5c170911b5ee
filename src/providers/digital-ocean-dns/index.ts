// DigitalOcean DNS provider (`DnsProvider` type `digital_ocean`): the factory the
// provider registry calls. See provider.ts for how records are written and owned.
import type { DigitalOceanDnsProvider } from '../../generated/config.ts';
import { createDoClient, type DoClient, type DoClientOptions } from '../digital-ocean/client.ts';
import type { DnsProviderClient } from '../types.ts';
import { createDoDnsProviderClient } from './provider.ts';

export * from './records.ts';

export interface DoDnsProviderOptions {
  config: DigitalOceanDnsProvider;
  /** The resolved token (secret). */
  token: string;
  client?: DoClient;
  clientOptions?: Omit<DoClientOptions, 'token' | 'apiUrl'>;
  now?: () => number;
  markerGraceMs?: number;
}

export function createDigitalOceanDnsProvider(options: DoDnsProviderOptions): DnsProviderClient {
  const { config, token, client, clientOptions, ...tuning } = options;
  return createDoDnsProviderClient({
    config,
    ...tuning,
    client: client ?? createDoClient({ token, ...(config.api_url !== undefined ? { apiUrl: config.api_url } : {}), ...clientOptions }),
  });
}
