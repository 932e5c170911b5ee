import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { armScope, cloudHosts } from './cloud.ts';
import { createAzureCredential } from './credential.ts';

describe('Azure clouds and credentials', () => {
  it('cloud picks the login and ARM hosts; endpoint/authority_host override them', () => {
    expect(cloudHosts({})).toEqual({ authorityHost: 'https://login.microsoftonline.com', resourceManager: 'https://management.azure.com' });
    expect(cloudHosts({ cloud: 'usgov' })).toEqual({
      authorityHost: 'https://login.microsoftonline.us',
      resourceManager: 'https://management.usgovcloudapi.net',
    });
    expect(cloudHosts({ cloud: 'china' })).toEqual({ authorityHost: 'https://login.chinacloudapi.cn', resourceManager: 'https://management.chinacloudapi.cn' });
    expect(cloudHosts({ cloud: 'public', endpoint: 'https://127.0.0.1:8443/', authority_host: 'https://127.0.0.1:8443' })).toEqual({
      authorityHost: 'https://127.0.0.1:8443',
      resourceManager: 'https://127.0.0.1:8443',
    });
    expect(armScope('https://management.usgovcloudapi.net/')).toBe('https://management.usgovcloudapi.net/.default');
  });

  it('client secret, managed identity or DefaultAzureCredential; half a secret pair is a configuration error', () => {
    const base = { where: 'VmProvider az', tenantId: 't', authorityHost: 'https://login.microsoftonline.com' };
    expect(createAzureCredential({ ...base, clientId: 'c', clientSecret: 's' })).toBeInstanceOf(ClientSecretCredential);
    expect(createAzureCredential({ ...base, useManagedIdentity: true })).toBeInstanceOf(ManagedIdentityCredential);
    expect(createAzureCredential({ ...base, useManagedIdentity: true, clientId: 'user-assigned' })).toBeInstanceOf(ManagedIdentityCredential);
    expect(createAzureCredential(base)).toBeInstanceOf(DefaultAzureCredential);
    expect(() => createAzureCredential({ ...base, clientId: 'c' })).toThrow(/VmProvider az: set both client_id and client_secret/);
    expect(() => createAzureCredential({ ...base, useManagedIdentity: true, clientSecret: 's' })).toThrow(/not both/);
  });
});
