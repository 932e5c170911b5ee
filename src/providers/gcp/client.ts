// The Compute Engine SDK clients of one provider config. @google-cloud/compute
// speaks REST (google-gax's HTTP/1.1 "fallback" transport, the default for
// Compute); `endpoint` (scheme://host[:port]) becomes its `apiEndpoint`,
// `port` and `protocol`, so the same code reaches compute.googleapis.com or
// the loopback fake of the tests. Credentials: an injected auth client
// (tests: a static token), else `credentials_json` (a service-account key,
// resolved from its secret reference) or Application Default Credentials.
// The SDK's own retries are left to its defaults for idempotent reads; the
// provider retries throttling itself (shared/backoff.ts) so Retry hints and
// bounds are ours.
import { InstancesClient, MachineTypesClient, ZoneOperationsClient } from '@google-cloud/compute';
import { PoolformError } from '../../util/errors.ts';

/** What google-gax accepts as `authClient` (an AuthClient of google-auth-library). */
export type GcpAuthClient = NonNullable<ConstructorParameters<typeof InstancesClient>[0]>['authClient'];

export interface GcpComputeClients {
  instances: InstancesClient;
  operations: ZoneOperationsClient;
  machineTypes: MachineTypesClient;
}

export interface GcpClientSettings {
  where: string;
  /** The project of every request; also given to the auth library so it never looks the project up (Cloud Resource Manager). */
  project?: string;
  endpoint?: string;
  /** Resolved service-account key JSON (secret). */
  credentialsJson?: string;
  authClient?: GcpAuthClient;
}

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Parses a service-account key; the error names the field, never the content. */
export function parseServiceAccountKey(where: string, json: string): { client_email: string; private_key: string; project_id?: string; token_uri?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new PoolformError('provider-config', `${where}: credentials_json is not JSON (expected a service-account key file's content)`);
  }
  const key = parsed as { type?: unknown; client_email?: unknown; private_key?: unknown; project_id?: unknown; token_uri?: unknown };
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new PoolformError('provider-config', `${where}: credentials_json is not a service-account key (client_email and private_key are required)`);
  }
  return {
    client_email: key.client_email,
    private_key: key.private_key,
    ...(typeof key.project_id === 'string' ? { project_id: key.project_id } : {}),
    ...(typeof key.token_uri === 'string' ? { token_uri: key.token_uri } : {}),
  };
}

/** The google-gax options shared by every Compute client. */
export function computeClientOptions(settings: GcpClientSettings) {
  const endpoint = settings.endpoint ? new URL(settings.endpoint) : undefined;
  const transport = endpoint
    ? {
        apiEndpoint: endpoint.hostname,
        port: Number(endpoint.port || (endpoint.protocol === 'http:' ? 80 : 443)),
        protocol: endpoint.protocol.replace(':', ''),
      }
    : {};
  const auth = settings.authClient
    ? { authClient: settings.authClient }
    : settings.credentialsJson !== undefined
      ? { credentials: parseServiceAccountKey(settings.where, settings.credentialsJson), scopes: [CLOUD_PLATFORM_SCOPE] }
      : { scopes: [CLOUD_PLATFORM_SCOPE] };
  return { fallback: true as const, ...transport, ...auth, ...(settings.project ? { projectId: settings.project } : {}) };
}

export function createComputeClients(settings: GcpClientSettings): GcpComputeClients {
  const options = computeClientOptions(settings);
  return {
    instances: new InstancesClient(options),
    operations: new ZoneOperationsClient(options),
    machineTypes: new MachineTypesClient(options),
  };
}
