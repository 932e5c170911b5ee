// The Kubernetes API as the provider uses it, through @kubernetes/client-node
// (CustomObjectsApi for kubevirt.io / cdi / harvesterhci.io objects, CoreV1Api
// for Secrets and PVCs), with the credentials of the config:
// - `kubeconfig` (its current context, or `context`): KubeConfig.loadFromString;
// - `api_server` + `token`: loadFromClusterAndUser;
// - `in_cluster`: loadFromCluster (the pod's ServiceAccount).
// `ca_cert` replaces the kubeconfig's CA; `insecure_skip_verify` turns
// verification off (warned by the caller). Every call is retried on 429
// (honouring Retry-After), 5xx and network failures, a bounded number of
// times: creates are safe to retry because names are deterministic (a repeat
// answers 409 AlreadyExists, which the provider treats as "made earlier").
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { parseRetryAfter, withRetries } from '../shared/backoff.ts';
import type { KubeList } from './types.ts';

export interface KubeCredentials {
  /** kubeconfig YAML (resolved secret). */
  kubeconfig?: string;
  context?: string;
  apiServer?: string;
  /** Bearer token (resolved secret). */
  token?: string;
  inCluster?: boolean;
  /** PEM (resolved). */
  caCert?: string;
  insecureSkipVerify?: boolean;
}

export interface KubeRetryOptions {
  maxRetries?: number;
  baseMs?: number;
  maxMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ResourceType {
  /** `core` for the v1 core group. */
  group: string;
  version: string;
  plural: string;
}

export const VIRTUAL_MACHINES: ResourceType = { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines' };
export const VIRTUAL_MACHINE_INSTANCES: ResourceType = { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances' };
export const SECRETS: ResourceType = { group: 'core', version: 'v1', plural: 'secrets' };
export const PVCS: ResourceType = { group: 'core', version: 'v1', plural: 'persistentvolumeclaims' };
export const HARVESTER_IMAGES: ResourceType = { group: 'harvesterhci.io', version: 'v1beta1', plural: 'virtualmachineimages' };
export const NETWORK_ATTACHMENT_DEFINITIONS: ResourceType = { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions' };

export interface KubeApi {
  /** The API server URL (messages). */
  readonly server: string;
  list<T>(type: ResourceType, namespace: string, query: { labelSelector?: string; limit?: number; continue?: string }): Promise<KubeList<T>>;
  get<T>(type: ResourceType, namespace: string, name: string): Promise<T>;
  create<T>(type: ResourceType, namespace: string, body: object): Promise<T>;
  replace<T>(type: ResourceType, namespace: string, name: string, body: object): Promise<T>;
  /** DELETE with DeleteOptions.propagationPolicy. */
  delete(type: ResourceType, namespace: string, name: string, propagationPolicy: 'Foreground' | 'Background'): Promise<void>;
}

/** Builds the KubeConfig of the credentials; throws a plain Error with what is missing. */
export function kubeConfigOf(credentials: KubeCredentials): KubeConfig {
  const kc = new KubeConfig();
  if (credentials.kubeconfig !== undefined) {
    if (!credentials.kubeconfig.includes('\n')) {
      throw new Error('kubeconfig holds the kubeconfig itself (YAML), not a path: write ${file:PATH} to read a file');
    }
    try {
      kc.loadFromString(credentials.kubeconfig);
    } catch (error) {
      // The parser's message quotes the source around the error: never pass
      // it on (the kubeconfig holds tokens and keys). The line number only.
      const line = (error as { mark?: { line?: unknown } }).mark?.line;
      throw new Error(`the kubeconfig is not a valid kubeconfig${typeof line === 'number' ? ` (YAML error on line ${line + 1})` : ''}`);
    }
    if (credentials.context !== undefined) {
      if (!kc.getContexts().some((c) => c.name === credentials.context))
        throw new Error(`the kubeconfig has no context ${JSON.stringify(credentials.context)}`);
      kc.setCurrentContext(credentials.context);
    }
  } else if (credentials.apiServer !== undefined) {
    kc.loadFromClusterAndUser(
      { name: 'poolform', server: credentials.apiServer, skipTLSVerify: false },
      { name: 'poolform', ...(credentials.token !== undefined ? { token: credentials.token } : {}) },
    );
  } else if (credentials.inCluster === true) {
    kc.loadFromCluster();
  } else {
    throw new Error('set kubeconfig, api_server with token, or in_cluster: true');
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user) throw new Error('the kubeconfig has no current context with a cluster and a user');
  if (credentials.caCert === undefined && credentials.insecureSkipVerify !== true) return kc;
  const out = new KubeConfig();
  const { caFile: _caFile, caData, ...rest } = cluster;
  out.loadFromClusterAndUser(
    {
      ...rest,
      ...(credentials.caCert !== undefined ? { caData: Buffer.from(credentials.caCert, 'utf8').toString('base64') } : caData !== undefined ? { caData } : {}),
      ...(credentials.caCert === undefined && _caFile !== undefined ? { caFile: _caFile } : {}),
      skipTLSVerify: credentials.insecureSkipVerify === true,
    },
    user,
  );
  return out;
}

/** The Status body of an ApiException (client-node hands it over as text or parsed). */
export function statusOf(error: unknown): { code?: number; reason?: string; message?: string } | undefined {
  if (!(error instanceof ApiException)) return undefined;
  let body: unknown = error.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return { code: error.code, message: text };
    }
  }
  const b = (body ?? {}) as { reason?: unknown; message?: unknown };
  return {
    code: error.code,
    ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
    ...(typeof b.message === 'string' ? { message: b.message } : {}),
  };
}

/** Whether to retry a failed call (429, 5xx, network), and after how long the server asked. */
export function retryVerdict(error: unknown): { retry: boolean; hintMs?: number } {
  if (error instanceof ApiException) {
    const code = error.code;
    if (code === 429 || code >= 500) {
      const header = Object.entries((error.headers ?? {}) as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
      const hintMs = parseRetryAfter(typeof header === 'string' ? header : undefined);
      return { retry: true, ...(hintMs !== undefined ? { hintMs } : {}) };
    }
    return { retry: false };
  }
  return { retry: isTransientNetworkError(error) };
}

/** The error code of a network failure (on the error or its causes). */
export function networkCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A connection that failed or broke (worth retrying), as opposed to a refusal by configuration or TLS. */
export function isTransientNetworkError(error: unknown): boolean {
  const code = networkCode(error);
  if (code !== undefined) return !TLS_CODES.has(code) && /^(E[A-Z]+|UND_ERR_.*)$/.test(code);
  return error instanceof Error && /fetch failed|socket hang up|other side closed/i.test(error.message);
}

/** Node's certificate verification failures (never retried: a setting must change). */
export const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

export function createKubeApi(kc: KubeConfig, retry: KubeRetryOptions = {}): KubeApi {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const options = {
    maxRetries: retry.maxRetries ?? 4,
    baseMs: retry.baseMs ?? 500,
    maxMs: retry.maxMs ?? 8000,
    ...(retry.sleep ? { sleep: retry.sleep } : {}),
  };
  const run = <T>(fn: () => Promise<T>): Promise<T> => withRetries(() => fn(), retryVerdict, options);

  return {
    server: kc.getCurrentCluster()?.server ?? '(unknown)',
    list<T>(type: ResourceType, namespace: string, query: { labelSelector?: string; limit?: number; continue?: string }) {
      const q = {
        ...(query.labelSelector !== undefined ? { labelSelector: query.labelSelector } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.continue !== undefined ? { _continue: query.continue } : {}),
      };
      if (type.group === 'core') {
        if (type.plural !== 'secrets') throw new Error(`list of ${type.plural} is not used`);
        return run(async () => (await core.listNamespacedSecret({ namespace, ...q })) as unknown as KubeList<T>);
      }
      return run(async () => (await custom.listNamespacedCustomObject({ ...type, namespace, ...q })) as KubeList<T>);
    },
    get<T>(type: ResourceType, namespace: string, name: string) {
      if (type.group === 'core') {
        if (type.plural === 'secrets') return run(async () => (await core.readNamespacedSecret({ name, namespace })) as unknown as T);
        return run(async () => (await core.readNamespacedPersistentVolumeClaim({ name, namespace })) as unknown as T);
      }
      return run(async () => (await custom.getNamespacedCustomObject({ ...type, namespace, name })) as T);
    },
    create<T>(type: ResourceType, namespace: string, body: object) {
      if (type.group === 'core') {
        if (type.plural !== 'secrets') throw new Error(`create of ${type.plural} is not used`);
        return run(async () => (await core.createNamespacedSecret({ namespace, body })) as unknown as T);
      }
      return run(async () => (await custom.createNamespacedCustomObject({ ...type, namespace, body })) as T);
    },
    replace<T>(type: ResourceType, namespace: string, name: string, body: object) {
      if (type.group === 'core') {
        if (type.plural !== 'secrets') throw new Error(`replace of ${type.plural} is not used`);
        return run(async () => (await core.replaceNamespacedSecret({ name, namespace, body })) as unknown as T);
      }
      return run(async () => (await custom.replaceNamespacedCustomObject({ ...type, namespace, name, body })) as T);
    },
    async delete(type: ResourceType, namespace: string, name: string, propagationPolicy: 'Foreground' | 'Background') {
      if (type.group === 'core') {
        if (type.plural === 'secrets') await run(() => core.deleteNamespacedSecret({ name, namespace, propagationPolicy }));
        else await run(() => core.deleteNamespacedPersistentVolumeClaim({ name, namespace, propagationPolicy }));
        return;
      }
      await run(() => custom.deleteNamespacedCustomObject({ ...type, namespace, name, propagationPolicy }));
    },
  };
}
