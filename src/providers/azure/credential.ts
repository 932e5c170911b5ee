// Which TokenCredential a provider config gets (@azure/identity):
// - client_id + client_secret: ClientSecretCredential (client-credentials
//   grant at `{authority_host}/{tenant_id}/oauth2/v2.0/token`);
// - use_managed_identity: ManagedIdentityCredential (client_id picks a
//   user-assigned identity);
// - neither: DefaultAzureCredential (environment, workload identity, managed
//   identity, Azure CLI...), the cloud's standard chain.
// The secret arrives resolved (the registry resolves `${env:}`/`${file:}`).
import type { TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { PoolformError } from '../../util/errors.ts';

export interface AzureCredentialSettings {
  /** `VmProvider name` / `DnsProvider name`, for messages. */
  where: string;
  tenantId: string;
  clientId?: string | undefined;
  /** Resolved secret. */
  clientSecret?: string | undefined;
  useManagedIdentity?: boolean | undefined;
  authorityHost: string;
  /** Extra pipeline policies for the identity client (tests: trust the fake's certificate). */
  additionalPolicies?: PipelinePolicy[];
}

export function createAzureCredential(settings: AzureCredentialSettings): TokenCredential {
  const { where } = settings;
  const policies = settings.additionalPolicies?.map((policy) => ({ policy, position: 'perCall' as const }));
  const common = { authorityHost: settings.authorityHost, ...(policies ? { additionalPolicies: policies } : {}) };
  if (settings.useManagedIdentity) {
    if (settings.clientSecret !== undefined) {
      throw new PoolformError('provider-config', `${where}: set client_secret or use_managed_identity, not both`);
    }
    return settings.clientId ? new ManagedIdentityCredential({ clientId: settings.clientId, ...common }) : new ManagedIdentityCredential(common);
  }
  if (settings.clientId !== undefined || settings.clientSecret !== undefined) {
    if (settings.clientId === undefined || settings.clientSecret === undefined) {
      throw new PoolformError('provider-config', `${where}: set both client_id and client_secret, or neither (DefaultAzureCredential)`);
    }
    // Instance discovery asks login.microsoftonline.com about the authority:
    // skipped when the authority is not a public Entra host (Azure Stack, the test fake).
    const publicAuthority = /^https:\/\/login\.(microsoftonline\.(com|us)|chinacloudapi\.cn)$/.test(settings.authorityHost);
    return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, {
      ...common,
      ...(publicAuthority ? {} : { disableInstanceDiscovery: true }),
    });
  }
  return new DefaultAzureCredential({ tenantId: settings.tenantId, ...common });
}
