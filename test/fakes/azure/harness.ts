// Helpers for suites that run the Azure providers against the fake: provider
// configs aimed at it, a pipeline policy that trusts its certificate (an
// https.Agent with `ca`, set on every request of the ARM clients and of the
// identity client: nothing process-wide), and short poll/retry timings.
import { Agent } from 'node:https';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AzureDnsProvider, AzureVmProvider } from '../../../src/generated/config.ts';
import { createAzureVmProvider, type AzureVmProviderOptions } from '../../../src/providers/azure/index.ts';
import { createAzureDnsProvider, type AzureDnsProviderOptions } from '../../../src/providers/azure-dns/index.ts';
import type { DnsProviderClient, VmProviderClient } from '../../../src/providers/types.ts';
import type { FakeAzure } from './server.ts';

export const TEST_RG = 'rg-pool';
export const DNS_RG = 'rg-dns';
export const FAST_AZURE_RETRY = { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 50 };
/** Provider tuning for tests: poll at once, no sweep unless asked. */
export const FAST_AZURE_TUNING = { pollIntervalMs: 5, operationTimeoutMs: 30_000, sweepIntervalMs: Number.POSITIVE_INFINITY } as const;

const agents = new WeakMap<FakeAzure, Agent>();

/** A per-call policy that makes the SDK trust the fake's self-signed certificate. */
export function trustFake(fake: FakeAzure): PipelinePolicy {
  let agent = agents.get(fake);
  if (!agent) {
    agent = new Agent({ ca: fake.ca, keepAlive: true });
    agents.set(fake, agent);
  }
  const trusted = agent;
  return {
    name: 'poolform-test-trust-fake-ca',
    sendRequest: (request, next) => {
      request.agent = trusted;
      return next(request);
    },
  };
}

export function releaseFakeAgent(fake: FakeAzure): void {
  agents.get(fake)?.destroy();
  agents.delete(fake);
}

export function subnetId(fake: FakeAzure): string {
  return `/subscriptions/${fake.subscriptionId}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/agents`;
}

export function azureVmConfig(fake: FakeAzure, over: Partial<AzureVmProvider> = {}): AzureVmProvider {
  return {
    kind: 'VmProvider',
    name: 'azure',
    type: 'azure',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    subscription_id: fake.subscriptionId,
    tenant_id: fake.tenantId,
    client_id: fake.clientId,
    client_secret: '${env:AZURE_CLIENT_SECRET}',
    resource_group: TEST_RG,
    location: 'eastus',
    vm_size: 'Standard_D4s_v5',
    image: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
    os_type: 'linux',
    subnet_id: subnetId(fake),
    admin_username: 'poolform',
    ssh_public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBfakefakefakefakefakefakefakefakefakefakefake test',
    endpoint: fake.url,
    authority_host: fake.url,
    ...over,
  };
}

export function azureDnsConfig(fake: FakeAzure, over: Partial<AzureDnsProvider> = {}): AzureDnsProvider {
  return {
    kind: 'DnsProvider',
    name: 'azdns',
    type: 'azure',
    subscription_id: fake.subscriptionId,
    tenant_id: fake.tenantId,
    client_id: fake.clientId,
    client_secret: '${env:AZURE_CLIENT_SECRET}',
    resource_group: DNS_RG,
    endpoint: fake.url,
    authority_host: fake.url,
    ...over,
  };
}

/** The VM provider against the fake, authenticated with the fake's client secret through ClientSecretCredential. */
export function fakeVmProvider(fake: FakeAzure, over: Partial<AzureVmProvider> = {}, options: Partial<AzureVmProviderOptions> = {}): VmProviderClient {
  return createAzureVmProvider({
    config: azureVmConfig(fake, over),
    secrets: { clientSecret: fake.clientSecret },
    retry: FAST_AZURE_RETRY,
    additionalPolicies: [trustFake(fake)],
    ...FAST_AZURE_TUNING,
    ...options,
  });
}

export function fakeDnsProvider(fake: FakeAzure, over: Partial<AzureDnsProvider> = {}, options: Partial<AzureDnsProviderOptions> = {}): DnsProviderClient {
  return createAzureDnsProvider({
    config: azureDnsConfig(fake, over),
    clientSecret: fake.clientSecret,
    retry: FAST_AZURE_RETRY,
    additionalPolicies: [trustFake(fake)],
    ...options,
  });
}
