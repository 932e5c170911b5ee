// OCI VM provider (`VmProvider` type `oci`): the factory the provider registry
// calls. See provider.ts for the contracts and how they are met.
// SDK: the official oci-sdk split packages (oci-core ComputeClient and
// VirtualNetworkClient, oci-common request signing). `endpoint` (tests)
// replaces the regional https://iaas.{region}.oraclecloud.com host.
import { ComputeClient, VirtualNetworkClient } from 'oci-core';
import type { OciVmProvider } from '../../generated/config.ts';
import type { VmProviderClient } from '../types.ts';
import { ociAuthProvider, ociClientConfiguration, type OciSigningSecrets } from './auth.ts';
import { createOciVmProviderClient, type OciVmProviderInternals } from './provider.ts';

export { ociAuthProvider, ociClientConfiguration } from './auth.ts';
export type { OciSigningSecrets, OciSigningSettings } from './auth.ts';
export { ociRefused, toOciError, transientOciError } from './errors.ts';
export { launchDetails, mapLifecycle, retryToken, toObservedVm } from './instances.ts';
export { assertMetadataFits, instanceMetadata, metadataBytes } from './metadata.ts';
export { clearOciCaches, vcpusPerOcpu } from './provider.ts';
export * from './tags.ts';

export interface OciVmProviderOptions
  extends Pick<
    OciVmProviderInternals,
    'now' | 'sleep' | 'maxRetries' | 'retryBaseMs' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'runningTimeoutMs' | 'snapshotMaxAgeMs' | 'destroyConcurrency'
  > {
  config: OciVmProvider;
  /** The resolved private key (and passphrase). */
  secrets: OciSigningSecrets;
}

export function createOciVmProvider(options: OciVmProviderOptions): VmProviderClient {
  const { config, secrets, ...tuning } = options;
  const auth = ociAuthProvider(config, secrets);
  const compute = new ComputeClient({ authenticationDetailsProvider: auth }, ociClientConfiguration());
  const network = new VirtualNetworkClient({ authenticationDetailsProvider: auth }, ociClientConfiguration());
  if (config.endpoint !== undefined) {
    compute.endpoint = config.endpoint;
    network.endpoint = config.endpoint;
  } else {
    compute.regionId = config.region;
    network.regionId = config.region;
  }
  return createOciVmProviderClient({ config, compute, network, ...tuning });
}
