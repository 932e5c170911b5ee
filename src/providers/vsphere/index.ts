// VMware vSphere VM provider (`VmProvider` type `vsphere`): the factory the
// provider registry calls. provider.ts holds the contracts, client.ts the
// Automation REST client (no SDK: why is written there), names.ts the
// ownership marker, user-data.ts the CloudinitPrep delivery and its limit.
import type { VsphereVmProvider } from '../../generated/config.ts';
import type { RetryOptions } from '../shared/backoff.ts';
import { createHttpTransport, type HttpTransport } from '../shared/http-transport.ts';
import { tlsTransportOptions, warnIfInsecure } from '../shared/tls-options.ts';
import type { VmProviderClient } from '../types.ts';
import { createVsphereClient, type VsphereClient } from './client.ts';
import { createVsphereVmProviderClient, type VsphereVmProviderInternals } from './provider.ts';

export { createVsphereClient } from './client.ts';
export type { VsphereClient } from './client.ts';
export { parseVsphereError, toVsphereError, VsphereHttpError } from './errors.ts';
export { decodeField, encodeField, ownerMarker, parseVmName, VM_NAME_MAX, vmName } from './names.ts';
export { mapPowerState } from './provider.ts';
export { assertUserDataFits, USERDATA_MAX_BYTES } from './user-data.ts';

/** Secrets of a vSphere provider config, resolved from their references by the registry. */
export interface VsphereSecrets {
  password: string;
  /** The PEM bundle of ca_cert (not secret, but resolved like one: inline or ${file:}). */
  caCert?: string;
}

export interface VsphereVmProviderOptions
  extends Pick<
    VsphereVmProviderInternals,
    'now' | 'sleep' | 'pollIntervalMs' | 'pollMaxIntervalMs' | 'powerOnTimeoutMs' | 'snapshotMaxAgeMs' | 'destroyConcurrency' | 'ipLookupsPerObserve'
  > {
  config: VsphereVmProvider;
  secrets: VsphereSecrets;
  /** Retries of throttled / busy calls (default 5 retries, 1 s doubling to 30 s). */
  retry?: Partial<Pick<RetryOptions, 'maxRetries' | 'baseMs' | 'maxMs'>>;
  /** Where the insecure_skip_verify warning goes (default process.emitWarning). */
  warn?: (message: string) => void;
  /** Injected transport (tests); default node:http(s) with ca_cert / insecure_skip_verify. */
  transport?: HttpTransport;
  /** Injected client (tests). */
  client?: VsphereClient;
}

export function createVsphereVmProvider(options: VsphereVmProviderOptions): VmProviderClient {
  const { config, secrets, retry, warn, transport, client: injected, ...tuning } = options;
  const where = `VmProvider ${config.name}`;
  const tls = {
    ...(secrets.caCert !== undefined ? { caCert: secrets.caCert } : {}),
    ...(config.insecure_skip_verify === true ? { insecureSkipVerify: true } : {}),
  };
  warnIfInsecure(tls, { where, what: 'vCenter', code: 'POOLFORM_VSPHERE_INSECURE', warn });
  const client =
    injected ??
    createVsphereClient({
      url: config.vcenter_url,
      username: config.username,
      password: secrets.password,
      transport: transport ?? createHttpTransport(tlsTransportOptions(tls)),
      retry: {
        maxRetries: retry?.maxRetries ?? 5,
        baseMs: retry?.baseMs ?? 1000,
        maxMs: retry?.maxMs ?? 30_000,
        ...(tuning.sleep ? { sleep: tuning.sleep } : {}),
      },
    });
  return createVsphereVmProviderClient({ config, client, ...tuning });
}
