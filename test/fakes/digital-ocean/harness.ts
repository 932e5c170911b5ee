// Helpers for suites that run the DigitalOcean providers against the fake:
// provider configs aimed at it (api_url = the fake's loopback URL) and short
// retry/poll timings with an instant sleep whose waits are recorded.
import type { DigitalOceanDnsProvider, DigitalOceanVmProvider } from '../../../src/generated/config.ts';
import { createDigitalOceanVmProvider, type DoVmProviderOptions } from '../../../src/providers/digital-ocean/index.ts';
import { createDigitalOceanDnsProvider, type DoDnsProviderOptions } from '../../../src/providers/digital-ocean-dns/index.ts';
import type { DnsProviderClient, VmProviderClient } from '../../../src/providers/types.ts';
import type { FakeDigitalOcean } from './server.ts';

/** Records the waits instead of waiting (tests assert counts, never durations). */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

export function doVmConfig(fake: FakeDigitalOcean, over: Partial<DigitalOceanVmProvider> = {}): DigitalOceanVmProvider {
  return {
    kind: 'VmProvider',
    name: 'do',
    type: 'digital_ocean',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    token: '${env:DIGITALOCEAN_TOKEN}',
    region: 'nyc3',
    size: 's-2vcpu-4gb',
    image: 'ubuntu-24-04-x64',
    api_url: fake.url,
    ...over,
  };
}

export function doDnsConfig(fake: FakeDigitalOcean, over: Partial<DigitalOceanDnsProvider> = {}): DigitalOceanDnsProvider {
  return { kind: 'DnsProvider', name: 'dodns', type: 'digital_ocean', token: '${env:DIGITALOCEAN_TOKEN}', api_url: fake.url, ...over };
}

export function fakeVmProvider(
  fake: FakeDigitalOcean,
  over: Partial<DigitalOceanVmProvider> = {},
  options: Partial<DoVmProviderOptions> & { sleep?: (ms: number) => Promise<void> } = {},
): VmProviderClient {
  const sleep = options.sleep ?? (async () => undefined);
  return createDigitalOceanVmProvider({
    config: doVmConfig(fake, over),
    token: fake.token,
    pollIntervalMs: 1,
    maxPollIntervalMs: 1,
    sleep,
    ...options,
    clientOptions: { retryBaseMs: 1, retryMaxMs: 5, sleep, ...options.clientOptions },
  });
}

export function fakeDnsProvider(
  fake: FakeDigitalOcean,
  over: Partial<DigitalOceanDnsProvider> = {},
  options: Partial<DoDnsProviderOptions> = {},
): DnsProviderClient {
  return createDigitalOceanDnsProvider({
    config: doDnsConfig(fake, over),
    token: fake.token,
    ...options,
    clientOptions: { retryBaseMs: 1, retryMaxMs: 5, sleep: async () => undefined, ...options.clientOptions },
  });
}
