// Azure clouds: the Microsoft Entra login host and the Azure Resource Manager
// host of each (Azure docs, "national clouds"). A config's `endpoint` /
// `authority_host` override them (tests against the fake, Azure Stack).
export type AzureCloud = 'public' | 'usgov' | 'china';

export interface AzureCloudHosts {
  authorityHost: string;
  resourceManager: string;
}

export const AZURE_CLOUDS: Readonly<Record<AzureCloud, AzureCloudHosts>> = {
  public: { authorityHost: 'https://login.microsoftonline.com', resourceManager: 'https://management.azure.com' },
  usgov: { authorityHost: 'https://login.microsoftonline.us', resourceManager: 'https://management.usgovcloudapi.net' },
  china: { authorityHost: 'https://login.chinacloudapi.cn', resourceManager: 'https://management.chinacloudapi.cn' },
};

/** The token scope for an ARM endpoint: `<resource manager>/.default`. */
export function armScope(resourceManager: string): string {
  return `${resourceManager.replace(/\/+$/, '')}/.default`;
}

export function cloudHosts(settings: { cloud?: AzureCloud | undefined; endpoint?: string | undefined; authority_host?: string | undefined }): AzureCloudHosts {
  const hosts = AZURE_CLOUDS[settings.cloud ?? 'public'];
  return {
    authorityHost: (settings.authority_host ?? hosts.authorityHost).replace(/\/+$/, ''),
    resourceManager: (settings.endpoint ?? hosts.resourceManager).replace(/\/+$/, ''),
  };
}
