// Nutanix AHV VM provider (`VmProvider` type `nutanix`, Prism Central v3):
// the factory the provider registry calls. See provider.ts for the contracts,
// client.ts for the HTTP client (no SDK: why is written there).
import type { NutanixVmProvider } from '../../generated/config.ts';
import type { RetryOptions } from '../shared/backoff.ts';
import { createHttpTransport, type HttpTransport } from '../shared/http-transport.ts';
import { tlsTransportOptions, warnIfInsecure } from '../shared/tls-options.ts';
import type { VmProviderClient } from '../types.ts';
import { createNutanixClient, type NutanixClient } from './client.ts';
import { createNutanixVmProviderClient, type NutanixVmProviderInternals } from './provider.ts';

export { createNutanixClient, taskUuidOf, V3_PATH } from './client.ts';
export type { NutanixClient } from './client.ts';
export { isNotFound, isThrottled, NutanixHttpError, NutanixTaskError, parseErrorAnswer, toNutanixError } from './errors.ts';
export * from './markers.ts';
export { firstIp, LIST_PAGE, toObserved } from './provider.ts';
export type { V3Vm } from './provider.ts';
export { assertUserDataFits, guestCustomization, USER_DATA_MAX_BYTES } from './user-data.ts';

export interface NutanixSecrets {
  /** The username, resolved (it may be a secret reference). */
  username: string;
  password: string;
  /** The PEM bundle of ca_cert (resolved like a secret: inline or ${file:}). */
  caCert?: string;
}

export interface NutanixVmProviderOptions extends Pick<NutanixVmProviderInternals, 'now' | 'snapshotMaxAgeMs' | 'destroyConcurrency'> {
  config: NutanixVmProvider;
  secrets: NutanixSecrets;
  sleep?: (ms: number) => Promise<void>;
  /** Retries of throttled/unavailable calls (default 5 retries, 1 s doubling to 30 s; Retry-After honoured). */
  retry?: Partial<Pick<RetryOptions, 'maxRetries' | 'baseMs' | 'maxMs'>>;
  /** First / longest wait between task polls (default 1 s / 10 s). */
  taskPollMs?: number;
  taskPollMaxMs?: number;
  /** Where the insecure_skip_verify warning goes (default process.emitWarning). */
  warn?: (message: string) => void;
  /** Injected transport (tests); default node:http(s) with ca_cert / insecure_skip_verify. */
  transport?: HttpTransport;
  /** Injected client (tests). */
  client?: NutanixClient;
}

export function createNutanixVmProvider(options: NutanixVmProviderOptions): VmProviderClient {
  const { config, secrets, retry, warn, transport, client: injected, taskPollMs, taskPollMaxMs, sleep, ...tuning } = options;
  const tls = {
    ...(secrets.caCert !== undefined ? { caCert: secrets.caCert } : {}),
    ...(config.insecure_skip_verify === true ? { insecureSkipVerify: true } : {}),
  };
  warnIfInsecure(tls, { where: `VmProvider ${config.name}`, what: 'Prism Central', code: 'POOLFORM_NUTANIX_INSECURE', warn });
  const client =
    injected ??
    createNutanixClient({
      baseUrl: config.prism_central_url,
      username: secrets.username,
      password: secrets.password,
      transport: transport ?? createHttpTransport(tlsTransportOptions(tls)),
      retry: { maxRetries: retry?.maxRetries ?? 5, baseMs: retry?.baseMs ?? 1000, maxMs: retry?.maxMs ?? 30_000, ...(sleep ? { sleep } : {}) },
      poll: { baseMs: taskPollMs ?? 1000, maxMs: taskPollMaxMs ?? 10_000, ...(sleep ? { sleep } : {}), ...(tuning.now ? { now: tuning.now } : {}) },
    });
  return createNutanixVmProviderClient({ config, client, ...tuning });
}
