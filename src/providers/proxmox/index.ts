// Proxmox VE VM provider (`VmProvider` type `proxmox`): the factory the
// provider registry calls. See provider.ts for the contracts, client.ts for
// the HTTP client (no SDK: why is written there).
import type { ProxmoxVmProvider } from '../../generated/config.ts';
import type { RetryOptions } from '../shared/backoff.ts';
import { createHttpTransport, type HttpTransport } from '../shared/http-transport.ts';
import { tlsTransportOptions, warnIfInsecure } from '../shared/tls-options.ts';
import type { VmProviderClient } from '../types.ts';
import { createProxmoxClient, type ProxmoxClient } from './client.ts';
import { createProxmoxVmProviderClient, type ProxmoxVmProviderInternals } from './provider.ts';

export { createProxmoxClient, encodeParams } from './client.ts';
export type { ProxmoxClient } from './client.ts';
export { isVmIdTaken, parseErrorAnswer, ProxmoxHttpError, ProxmoxTaskError, toProxmoxError } from './errors.ts';
export * from './markers.ts';
export { guestIpv4, toObserved } from './provider.ts';
export type { PveResource } from './provider.ts';
export { assertUserDataFits, guestScript, USER_DATA_MAX_BYTES } from './user-data.ts';

export interface ProxmoxSecrets {
  tokenSecret: string;
  /** The PEM bundle of ca_cert (resolved like a secret: inline or ${file:}). */
  caCert?: string;
}

export interface ProxmoxVmProviderOptions
  extends Pick<
    ProxmoxVmProviderInternals,
    'now' | 'sleep' | 'taskTimeoutMs' | 'agentPollMs' | 'agentPollMaxMs' | 'ipTimeoutMs' | 'snapshotMaxAgeMs' | 'maxIdAttempts' | 'destroyConcurrency'
  > {
  config: ProxmoxVmProvider;
  secrets: ProxmoxSecrets;
  /** Retries of unavailable calls (default 5 retries, 1 s doubling to 30 s). */
  retry?: Partial<Pick<RetryOptions, 'maxRetries' | 'baseMs' | 'maxMs'>>;
  /** First / longest wait between task status polls (default 500 ms / 5 s). */
  taskPollMs?: number;
  taskPollMaxMs?: number;
  /** Where the insecure_skip_verify warning goes (default process.emitWarning). */
  warn?: (message: string) => void;
  /** Injected transport (tests); default node:http(s) with ca_cert / insecure_skip_verify. */
  transport?: HttpTransport;
  /** Injected client (tests). */
  client?: ProxmoxClient;
}

export function createProxmoxVmProvider(options: ProxmoxVmProviderOptions): VmProviderClient {
  const { config, secrets, retry, warn, transport, client: injected, taskPollMs, taskPollMaxMs, ...tuning } = options;
  const tls = {
    ...(secrets.caCert !== undefined ? { caCert: secrets.caCert } : {}),
    ...(config.insecure_skip_verify === true ? { insecureSkipVerify: true } : {}),
  };
  warnIfInsecure(tls, { where: `VmProvider ${config.name}`, what: 'the Proxmox VE API', code: 'POOLFORM_PROXMOX_INSECURE', warn });
  const sleep = tuning.sleep;
  const client =
    injected ??
    createProxmoxClient({
      apiUrl: config.api_url,
      tokenId: config.token_id,
      tokenSecret: secrets.tokenSecret,
      transport: transport ?? createHttpTransport(tlsTransportOptions(tls)),
      retry: { maxRetries: retry?.maxRetries ?? 5, baseMs: retry?.baseMs ?? 1000, maxMs: retry?.maxMs ?? 30_000, ...(sleep ? { sleep } : {}) },
      poll: { baseMs: taskPollMs ?? 500, maxMs: taskPollMaxMs ?? 5000, ...(sleep ? { sleep } : {}), ...(tuning.now ? { now: tuning.now } : {}) },
    });
  return createProxmoxVmProviderClient({ config, client, ...tuning });
}
