// A stateful fake of the Kubernetes API server, serving the subset the
// KubeVirt and Harvester VM providers use, on 127.0.0.1 (HTTP, or HTTPS with
// a private CA from test/fakes/shared/ca.ts). In-memory, one object store for
// every namespaced resource path:
//   /api/v1/namespaces/{ns}/{plural}[/{name}]                 (core: secrets)
//   /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}] (kubevirt.io/v1
//     virtualmachines + virtualmachineinstances, cdi.kubevirt.io/v1beta1
//     datavolumes, harvesterhci.io/v1beta1 virtualmachineimages,
//     k8s.cni.cncf.io/v1 network-attachment-definitions)
// Conventions followed (Kubernetes API Concepts, https://kubernetes.io/docs/reference/using-api/api-concepts/):
// - every write bumps a global resourceVersion; objects get uid,
//   creationTimestamp, generation;
// - POST of an existing name → 409 AlreadyExists; PUT with a stale
//   metadata.resourceVersion → 409 Conflict; GET/DELETE of a missing object
//   → 404 NotFound; all errors are `Status` objects
//   ({kind: "Status", apiVersion: "v1", status: "Failure", message, reason, details, code});
// - list: `labelSelector` (=, ==, !=, in, notin, exists, !exists), `limit`
//   and an opaque `continue` token ("Retrieving large results sets in chunks");
//   list metadata carries resourceVersion and continue/remainingItemCount;
// - DELETE takes DeleteOptions (body or `propagationPolicy` query); the
//   garbage collector is emulated at once: dependents whose ownerReferences
//   name the deleted uid are deleted too, whatever the policy (Foreground
//   and Background differ only in timing on a real cluster);
// - Secret data above 1 MiB (corev1.MaxSecretSize, summed over the decoded
//   values) → 422 Invalid;
// - a ResourceQuota on `virtualmachines` count → 403 Forbidden "exceeded quota".
// Controllers emulated:
// - KubeVirt virt-controller: a VirtualMachine with runStrategy Always (or
//   running: true) gets a VirtualMachineInstance of the same name, labelled
//   from spec.template.metadata.labels and owned by the VM. The VMI starts
//   Pending and turns Running with an IP in status.interfaces[] after
//   `startAfterPolls` reads of it (lists or gets) — provided the cloud-init
//   Secret named by cloudInitNoCloud.secretRef exists (KubeVirt waits for it).
// - CDI: dataVolumeTemplates become DataVolumes owned by the VM (Succeeded).
// - Harvester: the VM annotation harvesterhci.io/volumeClaimTemplates becomes
//   PVCs (persistentvolumeclaims, no owner reference).
// Tests inject faults (429 with Retry-After, 500, quota 403, 401) and count calls.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type FaultMatch, readBodyText } from '../shared/faults.ts';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
    deletionTimestamp?: string;
  };
  [key: string]: unknown;
};

export interface KubeFault extends FaultMatch {
  status: number;
  reason?: string;
  message?: string;
  /** Seconds, sent as Retry-After (429). */
  retryAfter?: number;
}

export interface KubeCall {
  method: string;
  path: string;
  /** Resource plural (`virtualmachines`), when the path names one. */
  plural?: string;
  /** Whether it was a collection GET (a list). */
  list: boolean;
}

export interface FakeKubeOptions {
  /** Bearer token the server accepts; any (or none) when absent. */
  token?: string;
  /** TLS certificate and key: serve HTTPS. */
  tls?: { cert: string; key: string };
  /** Reads of a VMI before it turns Running (default 2). */
  startAfterPolls?: number;
  /** ResourceQuota `count/virtualmachines.kubevirt.io` per namespace; none when absent. */
  vmQuota?: number;
}

/** The scheduler's message while no node fits a VMI's pod (setUnschedulable). */
export const UNSCHEDULABLE_MESSAGE =
  '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';

export interface FakeKube {
  url: string;
  calls: KubeCall[];
  inject(fault: KubeFault): void;
  /** All stored objects of a plural in a namespace. */
  objects(plural: string, namespace: string): KubeObject[];
  /** Stores an object directly (foreign VMs, Harvester images, NADs). */
  put(group: string, version: string, plural: string, object: KubeObject): KubeObject;
  setVmQuota(quota: number | undefined): void;
  /** While true, VMIs stay Scheduling with PodScheduled=False, reason Unschedulable (no node has room). */
  setUnschedulable(on: boolean): void;
  close(): Promise<void>;
}

interface Route {
  /** `core` for /api/v1. */
  group: string;
  version: string;
  namespace: string;
  plural: string;
  name?: string;
}

const KINDS: Record<string, string> = {
  secrets: 'Secret',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  virtualmachines: 'VirtualMachine',
  virtualmachineinstances: 'VirtualMachineInstance',
  datavolumes: 'DataVolume',
  virtualmachineimages: 'VirtualMachineImage',
  'network-attachment-definitions': 'NetworkAttachmentDefinition',
};

const MAX_SECRET_SIZE = 1024 * 1024;

function parseRoute(pathname: string): Route | undefined {
  const core = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(pathname);
  if (core) return { group: 'core', version: 'v1', namespace: core[1] ?? '', plural: core[2] ?? '', ...(core[3] ? { name: decodeURIComponent(core[3]) } : {}) };
  const named = /^\/apis\/([^/]+)\/([^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(pathname);
  if (named) {
    return {
      group: named[1] ?? '',
      version: named[2] ?? '',
      namespace: named[3] ?? '',
      plural: named[4] ?? '',
      ...(named[5] ? { name: decodeURIComponent(named[5]) } : {}),
    };
  }
  return undefined;
}

type Requirement = (labels: Record<string, string>) => boolean;

/** Kubernetes label selector syntax (equality- and set-based). Unknown syntax throws (→ 400). */
export function parseLabelSelector(selector: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') parts.push(current);
  return parts.map((raw) => {
    const part = raw.trim();
    let m = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      const [, key = '', op, value = ''] = m;
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      const [, key = '', op, list = ''] = m;
      const values = list.split(',').map((v) => v.trim());
      return op === 'in' ? (l) => l[key] !== undefined && values.includes(l[key]) : (l) => l[key] === undefined || !values.includes(l[key]);
    }
    m = /^(!?)([A-Za-z0-9._/-]+)$/.exec(part);
    if (m) {
      const [, not, key = ''] = m;
      return not ? (l) => !(key in l) : (l) => key in l;
    }
    throw new Error(`unable to parse requirement: ${part}`);
  });
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const store = new Map<string, KubeObject>();
  const reads = new Map<string, number>();
  const faults = createFaultQueue<KubeFault>();
  const calls: KubeCall[] = [];
  let resourceVersion = 1000;
  let uidCounter = 0;
  let vmQuota = options.vmQuota;
  let unschedulable = false;
  const startAfter = options.startAfterPolls ?? 2;

  const key = (group: string, plural: string, namespace: string, name: string): string => `${group}|${plural}|${namespace}|${name}`;
  const nextRv = (): string => String(++resourceVersion);
  const inNs = (group: string, plural: string, namespace: string): KubeObject[] =>
    [...store.entries()]
      .filter(([k]) => k.startsWith(`${group}|${plural}|${namespace}|`))
      .map(([, o]) => o)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  function status(
    res: ServerResponse,
    code: number,
    reason: string,
    message: string,
    details?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code }));
  }
  function send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function store_(group: string, version: string, plural: string, namespace: string, object: KubeObject): KubeObject {
    const now = new Date().toISOString();
    const stored: KubeObject = {
      ...object,
      apiVersion: group === 'core' ? 'v1' : `${group}/${version}`,
      kind: KINDS[plural] ?? object.kind ?? plural,
      metadata: {
        ...object.metadata,
        namespace,
        uid: `uid-${(++uidCounter).toString(16).padStart(8, '0')}-fake`,
        resourceVersion: nextRv(),
        generation: 1,
        creationTimestamp: now,
      },
    };
    store.set(key(group, plural, namespace, stored.metadata.name), stored);
    return stored;
  }

  /** The garbage collector: removes every object owned (transitively) by `uid`. */
  function collect(uid: string): void {
    for (const [k, o] of [...store.entries()]) {
      if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) {
        store.delete(k);
        if (o.metadata.uid) collect(o.metadata.uid);
      }
    }
  }

  // KubeVirt virt-controller + CDI, run on VM create.
  function reconcileVm(vm: KubeObject): void {
    const ns = vm.metadata.namespace ?? '';
    const spec = (vm.spec ?? {}) as {
      runStrategy?: string;
      running?: boolean;
      dataVolumeTemplates?: { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: unknown }[];
      template?: { metadata?: { labels?: Record<string, string> }; spec?: unknown };
    };
    const owner = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      name: vm.metadata.name,
      uid: vm.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    for (const t of spec.dataVolumeTemplates ?? []) {
      if (!store.has(key('cdi.kubevirt.io', 'datavolumes', ns, t.metadata.name))) {
        store_('cdi.kubevirt.io', 'v1beta1', 'datavolumes', ns, {
          metadata: { ...t.metadata, ownerReferences: [owner] },
          spec: t.spec,
          status: { phase: 'Succeeded', progress: '100.0%' },
        });
      }
    }
    // Harvester's VM controller: PVCs from the harvesterhci.io/volumeClaimTemplates
    // annotation (no owner reference: Harvester removes them when asked on VM delete).
    const templates = vm.metadata.annotations?.['harvesterhci.io/volumeClaimTemplates'];
    if (templates) {
      for (const t of JSON.parse(templates) as {
        metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
        spec: unknown;
      }[]) {
        if (!store.has(key('core', 'persistentvolumeclaims', ns, t.metadata.name))) {
          store_('core', 'v1', 'persistentvolumeclaims', ns, { metadata: t.metadata, spec: t.spec, status: { phase: 'Bound' } });
        }
      }
    }
    const running = spec.runStrategy === 'Always' || spec.runStrategy === 'RerunOnFailure' || spec.running === true;
    if (running && !store.has(key('kubevirt.io', 'virtualmachineinstances', ns, vm.metadata.name))) {
      store_('kubevirt.io', 'v1', 'virtualmachineinstances', ns, {
        metadata: { name: vm.metadata.name, labels: { ...(spec.template?.metadata?.labels ?? {}) }, ownerReferences: [owner] },
        spec: spec.template?.spec ?? {},
        status: { phase: 'Pending' },
      });
    }
  }

  /** A read of a VMI advances it: Pending → Scheduled → Running with an IP (cloud-init Secret present). */
  function advanceVmi(vmi: KubeObject): void {
    const ns = vmi.metadata.namespace ?? '';
    const k = key('kubevirt.io', 'virtualmachineinstances', ns, vmi.metadata.name);
    const n = (reads.get(k) ?? 0) + 1;
    reads.set(k, n);
    const st = vmi.status as { phase?: string };
    if (st.phase === 'Running' || n < startAfter) return;
    if (unschedulable) {
      vmi.status = { phase: 'Scheduling', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: UNSCHEDULABLE_MESSAGE }] };
      return;
    }
    const volumes = (vmi.spec as { volumes?: { cloudInitNoCloud?: { secretRef?: { name?: string } } }[] }).volumes ?? [];
    const secretName = volumes.find((v) => v.cloudInitNoCloud?.secretRef?.name)?.cloudInitNoCloud?.secretRef?.name;
    if (secretName !== undefined && !store.has(key('core', 'secrets', ns, secretName))) {
      vmi.status = {
        phase: 'Scheduling',
        conditions: [{ type: 'Synchronized', status: 'False', reason: 'FailedCreate', message: `secret "${secretName}" not found` }],
      };
      return;
    }
    const octet = (Number.parseInt((vmi.metadata.uid ?? '0').replace(/\D/g, '').slice(-4), 10) % 250) + 2;
    vmi.status = {
      phase: 'Running',
      nodeName: 'node-1',
      interfaces: [{ name: 'default', ipAddress: `10.244.0.${octet}`, ipAddresses: [`10.244.0.${octet}`], mac: '02:00:00:00:00:01' }],
    };
    vmi.metadata.resourceVersion = nextRv();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const route = parseRoute(url.pathname);
    calls.push({
      method,
      path: url.pathname + url.search,
      list: method === 'GET' && route !== undefined && route.name === undefined,
      ...(route ? { plural: route.plural } : {}),
    });

    // Authentication (bearer token) before anything: 401 Unauthorized Status.
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const fault = faults.take(method, url.pathname);
    if (fault) {
      const reason =
        fault.reason ??
        (fault.status === 429 ? 'TooManyRequests' : fault.status === 403 ? 'Forbidden' : fault.status === 401 ? 'Unauthorized' : 'InternalError');
      status(res, fault.status, reason, fault.message ?? reason, undefined, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      return;
    }
    if (!route) {
      status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    const { group, version, namespace, plural, name } = route;
    const kind = KINDS[plural] ?? plural;
    const resourceName = group === 'core' ? plural : `${plural}.${group}`;

    // Kubernetes API: list (GET on the collection). labelSelector per "Labels and Selectors";
    // limit/continue per API Concepts, "Retrieving large results sets in chunks"
    // (the token is opaque to clients; here it names the last item returned).
    if (method === 'GET' && name === undefined) {
      let requirements: Requirement[];
      try {
        requirements = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
      } catch (error) {
        status(res, 400, 'BadRequest', `unable to parse requirement: ${(error as Error).message}`);
        return;
      }
      const all = inNs(group, plural, namespace).filter((o) => requirements.every((r) => r(o.metadata.labels ?? {})));
      const token = url.searchParams.get('continue');
      let start = 0;
      if (token) {
        const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: string };
        start = all.findIndex((o) => o.metadata.name > (decoded.after ?? ''));
        if (start < 0) start = all.length;
      }
      const limit = Number(url.searchParams.get('limit') ?? '0');
      const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
      const more = start + page.length < all.length;
      if (plural === 'virtualmachineinstances') for (const vmi of page) advanceVmi(vmi);
      const last = page[page.length - 1];
      send(res, 200, {
        apiVersion: group === 'core' ? 'v1' : `${group}/${version}`,
        kind: `${kind}List`,
        metadata: {
          resourceVersion: String(resourceVersion),
          ...(more && last
            ? {
                continue: Buffer.from(JSON.stringify({ after: last.metadata.name })).toString('base64url'),
                remainingItemCount: all.length - start - page.length,
              }
            : {}),
        },
        items: page,
      });
      return;
    }

    // Kubernetes API: read (GET on the object); 404 NotFound Status when missing.
    if (method === 'GET' && name !== undefined) {
      const found = store.get(key(group, plural, namespace, name));
      if (!found) {
        status(res, 404, 'NotFound', `${resourceName} "${name}" not found`, { name, group: group === 'core' ? '' : group, kind: plural });
        return;
      }
      if (plural === 'virtualmachineinstances') advanceVmi(found);
      send(res, 200, found);
      return;
    }

    // Kubernetes API: create (POST on the collection); an existing name is 409
    // AlreadyExists (API Concepts, "Create"); Secret data size per corev1.MaxSecretSize;
    // ResourceQuota admission refuses with 403 Forbidden "exceeded quota".
    if (method === 'POST' && name === undefined) {
      const body = JSON.parse(await readBodyText(req)) as KubeObject;
      const objectName = body.metadata?.name;
      if (!objectName) {
        status(res, 422, 'Invalid', `${kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
        return;
      }
      if (store.has(key(group, plural, namespace, objectName))) {
        status(res, 409, 'AlreadyExists', `${resourceName} "${objectName}" already exists`, {
          name: objectName,
          group: group === 'core' ? '' : group,
          kind: plural,
        });
        return;
      }
      if (plural === 'secrets') {
        const data = (body as { data?: Record<string, string>; stringData?: Record<string, string> }).data ?? {};
        const stringData = (body as { stringData?: Record<string, string> }).stringData ?? {};
        let size = 0;
        for (const v of Object.values(data)) size += Buffer.from(v, 'base64').length;
        for (const v of Object.values(stringData)) size += Buffer.byteLength(v, 'utf8');
        if (size > MAX_SECRET_SIZE) {
          status(res, 422, 'Invalid', `Secret "${objectName}" is invalid: data: Too long: must have at most ${MAX_SECRET_SIZE} bytes`);
          return;
        }
      }
      if (plural === 'virtualmachines' && vmQuota !== undefined && inNs(group, plural, namespace).length >= vmQuota) {
        status(
          res,
          403,
          'Forbidden',
          `virtualmachines.kubevirt.io "${objectName}" is forbidden: exceeded quota: vm-quota, requested: count/virtualmachines.kubevirt.io=1, used: count/virtualmachines.kubevirt.io=${vmQuota}, limited: count/virtualmachines.kubevirt.io=${vmQuota}`,
        );
        return;
      }
      for (const ref of body.metadata.ownerReferences ?? []) {
        // An owner that does not exist makes the object garbage at once (GC deletes it).
        const ownerExists = [...store.values()].some((o) => o.metadata.uid === ref.uid);
        if (!ownerExists) {
          send(res, 201, { ...body, metadata: { ...body.metadata, namespace, uid: 'collected', resourceVersion: nextRv() } });
          return;
        }
      }
      const created = store_(group, version, plural, namespace, body);
      if (plural === 'virtualmachines') reconcileVm(created);
      send(res, 201, created);
      return;
    }

    // Kubernetes API: replace (PUT on the object) with optimistic concurrency on
    // metadata.resourceVersion (API Concepts, "Resource versions"): stale → 409 Conflict.
    if (method === 'PUT' && name !== undefined) {
      const body = JSON.parse(await readBodyText(req)) as KubeObject;
      const k = key(group, plural, namespace, name);
      const found = store.get(k);
      if (!found) {
        status(res, 404, 'NotFound', `${resourceName} "${name}" not found`, { name, kind: plural });
        return;
      }
      if (body.metadata.resourceVersion !== undefined && body.metadata.resourceVersion !== found.metadata.resourceVersion) {
        status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${resourceName} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
        return;
      }
      const replaced: KubeObject = {
        ...body,
        metadata: { ...found.metadata, ...body.metadata, uid: found.metadata.uid, resourceVersion: nextRv(), generation: (found.metadata.generation ?? 1) + 1 },
      };
      store.set(k, replaced);
      send(res, 200, replaced);
      return;
    }

    // Kubernetes API: delete (DELETE on the object) with DeleteOptions.propagationPolicy
    // ("Garbage Collection", cascading deletion); 404 when missing; dependents collected.
    if (method === 'DELETE' && name !== undefined) {
      const k = key(group, plural, namespace, name);
      const found = store.get(k);
      if (!found) {
        status(res, 404, 'NotFound', `${resourceName} "${name}" not found`, { name, kind: plural });
        return;
      }
      const text = await readBodyText(req);
      const policy =
        url.searchParams.get('propagationPolicy') ??
        (text ? ((JSON.parse(text) as { propagationPolicy?: string }).propagationPolicy ?? 'Background') : 'Background');
      store.delete(k);
      if (policy !== 'Orphan' && found.metadata.uid) collect(found.metadata.uid);
      send(res, 200, { ...found, metadata: { ...found.metadata, deletionTimestamp: new Date().toISOString() } });
      return;
    }
    status(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) status(res, 500, 'InternalError', (error as Error).message);
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    calls,
    inject: (fault) => faults.inject(fault),
    objects: (plural, namespace) => [...store.entries()].filter(([k]) => k.split('|')[1] === plural && k.split('|')[2] === namespace).map(([, o]) => o),
    put(group, version, plural, object) {
      const ns = object.metadata.namespace ?? 'default';
      const stored = store_(group, version, plural, ns, object);
      if (plural === 'virtualmachines') reconcileVm(stored);
      return stored;
    },
    setVmQuota(quota) {
      vmQuota = quota;
    },
    setUnschedulable(on) {
      unschedulable = on;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
