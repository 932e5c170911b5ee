// KubeVirt VM provider (`VmProvider` type `kubevirt`), and the code Harvester
// shares: the factory the provider registry calls. See provider.ts for the
// contracts and how they are met.
import { PoolformError } from '../../util/errors.ts';
import { warnIfInsecure } from '../shared/tls-options.ts';
import type { VmProviderClient } from '../types.ts';
import { createKubeApi, type KubeApi, type KubeCredentials, kubeConfigOf, type KubeRetryOptions } from './kube-client.ts';
import { createKubevirtVmProviderClient, type KubevirtProviderInternals } from './provider.ts';
import { type KubevirtLikeConfig, settingsOf } from './settings.ts';

export { createKubeApi, kubeConfigOf } from './kube-client.ts';
export type { KubeApi, KubeCredentials } from './kube-client.ts';
export { toKubeError } from './errors.ts';
export * from './labels.ts';
export { toObservedVm } from './provider.ts';
export { settingsOf, quantityBytes } from './settings.ts';
export type { KubevirtLikeConfig, KubevirtSettings } from './settings.ts';
export { assertUserDataFits, USER_DATA_MAX_BYTES, userDataOf } from './user-data.ts';
export { secretBody, vmBody } from './vm-spec.ts';

export interface KubevirtVmProviderOptions
  extends Pick<
    KubevirtProviderInternals,
    'now' | 'sleep' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'runningTimeoutMs' | 'snapshotMaxAgeMs' | 'destroyConcurrency' | 'pageSize'
  > {
  config: KubevirtLikeConfig;
  /** Resolved secrets: kubeconfig text, token, CA PEM. */
  secrets: Pick<KubeCredentials, 'kubeconfig' | 'token' | 'caCert'>;
  /** Injected API (tests); default built from the config. */
  api?: KubeApi;
  retry?: KubeRetryOptions;
  /** Where the insecure_skip_verify warning goes. */
  warn?: (message: string) => void;
}

export function createKubevirtVmProvider(options: KubevirtVmProviderOptions): VmProviderClient {
  const { config, secrets, api, retry, warn, ...tuning } = options;
  const where = `VmProvider ${config.name}`;
  warnIfInsecure(
    { ...(config.insecure_skip_verify !== undefined ? { insecureSkipVerify: config.insecure_skip_verify } : {}) },
    { where, what: 'the Kubernetes API server', code: 'POOLFORM_KUBEVIRT_INSECURE', warn },
  );
  let client = api;
  if (!client) {
    try {
      client = createKubeApi(
        kubeConfigOf({
          ...secrets,
          ...(config.context !== undefined ? { context: config.context } : {}),
          ...(config.api_server !== undefined ? { apiServer: config.api_server } : {}),
          ...(config.in_cluster !== undefined ? { inCluster: config.in_cluster } : {}),
          ...(config.insecure_skip_verify !== undefined ? { insecureSkipVerify: config.insecure_skip_verify } : {}),
        }),
        retry,
      );
    } catch (error) {
      throw new PoolformError(
        'kubevirt-config',
        `${where} (${config.type}): cannot use the credentials: ${error instanceof Error ? error.message : String(error)}`,
        {
          field: 'kubeconfig',
          cause: error,
        },
      );
    }
  }
  return createKubevirtVmProviderClient({ settings: settingsOf(config), api: client, ...tuning });
}
