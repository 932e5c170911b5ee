// OpenStack VM provider (`VmProvider` type `openstack`): the factory the
// provider registry calls. See provider.ts for the contracts, client.ts for
// the HTTP client (Keystone v3 + Nova, no SDK: why is written there).
import type { OpenStackVmProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { RetryOptions } from '../shared/backoff.ts';
import type { VmProviderClient } from '../types.ts';
import { createOpenStackClient, type OpenStackClient } from './client.ts';
import { createHttpTransport, type HttpTransport } from './http.ts';
import type { KeystoneAuth } from './keystone.ts';
import { createOpenStackVmProviderClient, type OpenStackVmProviderInternals } from './provider.ts';
import { microversionFor } from './server-request.ts';

export { createOpenStackClient } from './client.ts';
export type { OpenStackClient } from './client.ts';
export { createHttpTransport, TransportError } from './http.ts';
export type { HttpTransport } from './http.ts';
export { authRequestBody, identityBase, selectEndpoint } from './keystone.ts';
export type { KeystoneAuth } from './keystone.ts';
export { OpenStackHttpError, parseErrorAnswer, toOpenStackError } from './errors.ts';
export * from './markers.ts';
export { serverName } from './names.ts';
export { clearOpenStackCaches, mapServerStatus, toObservedVm } from './provider.ts';
export { microversionFor, serverBody } from './server-request.ts';
export { assertUserDataFits, USER_DATA_MAX_BASE64_CHARS, USER_DATA_MAX_BYTES } from './user-data.ts';

/** Secrets of an OpenStack provider config, resolved from their references by the registry. */
export interface OpenStackSecrets {
  password?: string;
  applicationCredentialId?: string;
  applicationCredentialSecret?: string;
  /** The PEM bundle of ca_cert (not secret, but resolved like one: inline or ${file:}). */
  caCert?: string;
}

export interface OpenStackVmProviderOptions
  extends Pick<
    OpenStackVmProviderInternals,
    'now' | 'sleep' | 'pollIntervalMs' | 'pollMaxIntervalMs' | 'buildTimeoutMs' | 'snapshotMaxAgeMs' | 'pageSize' | 'destroyConcurrency'
  > {
  config: OpenStackVmProvider;
  secrets?: OpenStackSecrets;
  /** Retries of throttled / unavailable calls (default 5 retries, 1 s doubling to 30 s). */
  retry?: Partial<Pick<RetryOptions, 'maxRetries' | 'baseMs' | 'maxMs'>>;
  /** Where the insecure_skip_verify warning goes (default process.emitWarning). */
  warn?: (message: string) => void;
  /** Injected transport (tests); default node:http(s) with ca_cert / insecure_skip_verify. */
  transport?: HttpTransport;
  /** Injected client (tests). */
  client?: OpenStackClient;
}

/** The Keystone method and credentials of a config (secrets already resolved). */
export function keystoneAuth(config: OpenStackVmProvider, secrets: OpenStackSecrets = {}): KeystoneAuth {
  const where = `VmProvider ${config.name}`;
  if ((config.auth_type ?? 'password') === 'v3applicationcredential') {
    if (secrets.applicationCredentialId === undefined || secrets.applicationCredentialSecret === undefined) {
      throw new PoolformError(
        'provider-config',
        `${where}: auth_type v3applicationcredential needs application_credential_id and application_credential_secret`,
      );
    }
    return { kind: 'application_credential', id: secrets.applicationCredentialId, secret: secrets.applicationCredentialSecret };
  }
  if (config.username === undefined || secrets.password === undefined || (config.project_name === undefined && config.project_id === undefined)) {
    throw new PoolformError('provider-config', `${where}: auth_type password needs username, password and project_name (or project_id)`);
  }
  return {
    kind: 'password',
    username: config.username,
    password: secrets.password,
    userDomainName: config.user_domain_name ?? 'Default',
    ...(config.project_id !== undefined ? { projectId: config.project_id } : { projectName: config.project_name ?? '' }),
    projectDomainName: config.project_domain_name ?? 'Default',
  };
}

export function createOpenStackVmProvider(options: OpenStackVmProviderOptions): VmProviderClient {
  const { config, secrets, retry, warn, transport: injectedTransport, client: injectedClient, ...tuning } = options;
  const where = `VmProvider ${config.name}`;
  if (config.insecure_skip_verify === true) {
    const message = `${where}: insecure_skip_verify is on: the certificates of Keystone and Nova are NOT verified, so anyone on the network path can read the credentials and tokens; set ca_cert instead`;
    if (warn) warn(message);
    else process.emitWarning(message, { code: 'POOLFORM_OPENSTACK_INSECURE' });
  }
  const client =
    injectedClient ??
    createOpenStackClient({
      where,
      authUrl: config.auth_url,
      auth: keystoneAuth(config, secrets),
      interface: config.interface ?? 'public',
      ...(config.region_name !== undefined ? { region: config.region_name } : {}),
      transport:
        injectedTransport ??
        createHttpTransport({
          ...(secrets?.caCert !== undefined ? { ca: secrets.caCert } : {}),
          ...(config.insecure_skip_verify === true ? { insecureSkipVerify: true } : {}),
        }),
      microversion: microversionFor(config),
      retry: {
        maxRetries: retry?.maxRetries ?? 5,
        baseMs: retry?.baseMs ?? 1000,
        maxMs: retry?.maxMs ?? 30_000,
        ...(tuning.sleep ? { sleep: tuning.sleep } : {}),
      },
      ...(tuning.now ? { now: tuning.now } : {}),
    });
  return createOpenStackVmProviderClient({ config, client, ...tuning });
}
