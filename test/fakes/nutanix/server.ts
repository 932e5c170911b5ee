// A stateful fake of the Nutanix Prism Central v3 API subset poolform uses,
// in memory, as a real HTTP or HTTPS server on 127.0.0.1 (ephemeral port).
// Paths and bodies follow the Prism Central v3 API reference
// (https://www.nutanix.dev/api_references/prism-central-v3/), below
// /api/nutanix/v3. Faithful where poolform depends on it:
// - Auth: HTTP Basic on every call; a wrong or missing one is 401 with the v3
//   error body.
// - Error bodies (v3 "Status" of an error): `{"api_version": "3.1", "code":
//   <http status>, "kind": <kind>, "state": "ERROR", "message_list":
//   [{"reason": ..., "message": ..., "details": {}}]}`.
// - Intentful create/delete: POST /vms and DELETE /vms/{uuid} answer 202 with
//   `status.execution_context.task_uuid`; the task is QUEUED, then RUNNING,
//   for `taskPolls` reads, then SUCCEEDED (or FAILED with `error_code` /
//   `error_detail`, and the VM removed, as a failed placement leaves nothing).
//   While a create task runs the VM is listed with `status.state: PENDING`.
// - Categories must exist before a VM carries them (422 otherwise); PUT
//   /categories/{key} and /categories/{key}/{value} create them.
// - POST /vms/list: `filter` (FIQL subset: `vm_name==<regex>`, matched
//   unanchored as Prism Central does: an exact name can match several VMs,
//   which is why clients such as cluster-api-provider-nutanix check for more
//   than one), `length` (default 20, at most 500: the v3 limit, see
//   nutanix/PowerShell#46 and nutanix.dev "the five hundred (500) VMs via v3
//   API"), `offset`; `metadata.total_matches` is the count of every match.
// - Fault injection: the next N matching calls answer a status (429 with
//   Retry-After, 500, 401, ...) or, for POST /vms, the create task fails with
//   a reason / message (e.g. insufficient memory on the cluster).
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type FaultMatch, readBodyText } from '../shared/faults.ts';

export const FAKE_NTNX = {
  username: 'poolform-svc',
  password: 'Nutanix/4u-test',
  clusterUuid: '0005f1b2-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
  subnetUuid: 'a1b2c3d4-0000-4000-8000-000000000001',
  imageUuid: 'b1b2c3d4-0000-4000-8000-000000000002',
} as const;

const V3 = '/api/nutanix/v3';
const MAX_LIST_LENGTH = 500;

export interface NtnxVm {
  uuid: string;
  name: string;
  description: string;
  categories: Record<string, string>;
  state: 'PENDING' | 'COMPLETE' | 'DELETE_PENDING' | 'ERROR';
  powerState: 'ON' | 'OFF';
  ip: string;
  /** The decoded cloud-init user data, or sysprep unattend XML. */
  userData: string | null;
  metaData: string | null;
  guest: 'cloud_init' | 'sysprep' | null;
  /** The spec as posted (tests read resources, references). */
  spec: Record<string, unknown>;
  metadata: Record<string, unknown>;
  creationTime: string;
}

export interface NtnxTask {
  uuid: string;
  operation: 'VM_CREATE' | 'VM_DELETE';
  vmUuid: string;
  reads: number;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  failure?: { code: string; detail: string };
}

export interface NutanixFault extends FaultMatch {
  /** HTTP status of the answer (default 500). */
  status?: number;
  reason?: string;
  message?: string;
  /** Retry-After header (seconds) of the answer. */
  retryAfter?: string;
  /** Accept a POST /vms, then let its task fail with this error_code / error_detail. */
  taskError?: { code: string; detail: string };
}

export interface FakeNutanixOptions {
  tls?: { cert: string; key: string };
  /** Task reads before it finishes (default 1: one QUEUED/RUNNING read). */
  taskPolls?: number;
}

export interface FakeNutanix {
  baseUrl: string;
  vms: Map<string, NtnxVm>;
  tasks: Map<string, NtnxTask>;
  /** Existing category keys → values. */
  categories: Map<string, Set<string>>;
  /** Calls by `METHOD /path-pattern` (uuids replaced by {uuid}). */
  calls: Map<string, number>;
  callCount(key: string): number;
  resetCalls(): void;
  inject(fault: NutanixFault): void;
  /** A VM that is not poolform's (another tool, a person). */
  putVmDirect(over?: Partial<NtnxVm>): NtnxVm;
  close(): Promise<void>;
}

function errorBody(status: number, kind: string, reason: string, message: string): unknown {
  return { api_version: '3.1', code: status, kind, state: 'ERROR', message_list: [{ reason, message, details: {} }] };
}

function vmEntity(vm: NtnxVm): unknown {
  const spec = vm.spec as { resources?: Record<string, unknown>; cluster_reference?: unknown };
  return {
    status: {
      state: vm.state,
      name: vm.name,
      description: vm.description,
      cluster_reference: spec.cluster_reference,
      resources: {
        ...(spec.resources ?? {}),
        power_state: vm.state === 'PENDING' ? 'OFF' : vm.powerState,
        nic_list:
          vm.state === 'COMPLETE' && vm.powerState === 'ON'
            ? [{ subnet_reference: { kind: 'subnet', uuid: FAKE_NTNX.subnetUuid }, ip_endpoint_list: [{ ip: vm.ip, type: 'LEARNED' }] }]
            : [],
      },
    },
    spec: vm.spec,
    metadata: { ...vm.metadata, kind: 'vm', uuid: vm.uuid, categories: vm.categories, creation_time: vm.creationTime, spec_version: 0 },
  };
}

/** The `vm_name==<regex>` filter of the v3 list calls (FIQL; the value is a regular expression, matched anywhere in the name). */
function nameFilter(filter: string | undefined): ((name: string) => boolean) | string {
  if (filter === undefined || filter === '') return () => true;
  const m = /^vm_name==(.+)$/.exec(filter);
  if (!m?.[1]) return `unsupported filter ${JSON.stringify(filter)}`;
  try {
    const re = new RegExp(m[1]);
    return (name) => re.test(name);
  } catch {
    return `invalid regular expression in filter ${JSON.stringify(filter)}`;
  }
}

export async function startFakeNutanix(options: FakeNutanixOptions = {}): Promise<FakeNutanix> {
  const vms = new Map<string, NtnxVm>();
  const tasks = new Map<string, NtnxTask>();
  const calls = new Map<string, number>();
  const categories = new Map<string, Set<string>>([['Environment', new Set(['Production', 'Testing'])]]);
  const faults = createFaultQueue<NutanixFault>();
  const taskPolls = options.taskPolls ?? 1;
  let ipSeq = 10;
  const expectedAuth = `Basic ${Buffer.from(`${FAKE_NTNX.username}:${FAKE_NTNX.password}`).toString('base64')}`;

  function finishTask(task: NtnxTask): void {
    const vm = vms.get(task.vmUuid);
    if (task.failure) {
      task.status = 'FAILED';
      if (task.operation === 'VM_CREATE') vms.delete(task.vmUuid);
      return;
    }
    task.status = 'SUCCEEDED';
    if (!vm) return;
    if (task.operation === 'VM_CREATE') vm.state = 'COMPLETE';
    else vms.delete(vm.uuid);
  }

  function newTask(operation: NtnxTask['operation'], vmUuid: string, failure?: NtnxTask['failure']): NtnxTask {
    const task: NtnxTask = { uuid: randomUUID(), operation, vmUuid, reads: 0, status: 'QUEUED', ...(failure ? { failure } : {}) };
    tasks.set(task.uuid, task);
    if (taskPolls <= 0) finishTask(task);
    return task;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const key = `${method} ${path.replace(V3, '').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{uuid}')}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const bodyText = await readBodyText(req);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    };
    const kindOf = path.includes('/tasks') ? 'task' : path.includes('/categories') ? 'category' : 'vm';
    const fail = (status: number, reason: string, message: string, headers: Record<string, string> = {}): void =>
      send(status, errorBody(status, kindOf, reason, message), headers);

    // Prism Central v3: "Authentication" — HTTP Basic with a Prism user.
    if (req.headers.authorization !== expectedAuth) {
      fail(401, 'AUTHENTICATION_REQUIRED', 'Authentication required.');
      return;
    }
    const fault = faults.take(method, path);
    let taskError: NtnxTask['failure'];
    if (fault) {
      if (fault.taskError) taskError = fault.taskError;
      else {
        const status = fault.status ?? 500;
        fail(
          status,
          fault.reason ?? (status === 429 ? 'TOO_MANY_REQUESTS' : 'INTERNAL_ERROR'),
          fault.message ?? (status === 429 ? 'Too many requests' : 'Internal Server Error'),
          fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
        );
        return;
      }
    }
    let body: Record<string, unknown> = {};
    if (bodyText !== '') {
      try {
        body = JSON.parse(bodyText) as Record<string, unknown>;
      } catch {
        fail(400, 'INVALID_REQUEST', 'Request could not be processed. Malformed JSON.');
        return;
      }
    }
    if (!path.startsWith(`${V3}/`)) {
      fail(404, 'ENTITY_NOT_FOUND', `no route ${method} ${path}`);
      return;
    }
    const rest = path.slice(V3.length);
    let m: RegExpExecArray | null;

    // Prism Central v3: categories — PUT /categories/{name} (create or update a key).
    if (method === 'PUT' && (m = /^\/categories\/([^/]+)$/.exec(rest))) {
      const name = decodeURIComponent(m[1] ?? '');
      if (!categories.has(name)) categories.set(name, new Set());
      send(200, { name, description: String(body.description ?? ''), system_defined: false });
      return;
    }
    // Prism Central v3: categories — PUT /categories/{name}/{value} (create or update a value; the key must exist).
    if (method === 'PUT' && (m = /^\/categories\/([^/]+)\/([^/]+)$/.exec(rest))) {
      const name = decodeURIComponent(m[1] ?? '');
      const value = decodeURIComponent(m[2] ?? '');
      const values = categories.get(name);
      if (!values) {
        fail(404, 'ENTITY_NOT_FOUND', `Category ${name} does not exist.`);
        return;
      }
      values.add(value);
      send(200, { name, value, description: String(body.description ?? ''), system_defined: false });
      return;
    }
    // Prism Central v3: categories — GET /categories/{name}/{value}.
    if (method === 'GET' && (m = /^\/categories\/([^/]+)\/([^/]+)$/.exec(rest))) {
      const name = decodeURIComponent(m[1] ?? '');
      const value = decodeURIComponent(m[2] ?? '');
      if (!categories.get(name)?.has(value)) fail(404, 'ENTITY_NOT_FOUND', `Category ${name}:${value} does not exist.`);
      else send(200, { name, value, system_defined: false });
      return;
    }

    // Prism Central v3: tasks — GET /tasks/{uuid}.
    if (method === 'GET' && (m = /^\/tasks\/([^/]+)$/.exec(rest))) {
      const task = tasks.get(m[1] ?? '');
      if (!task) {
        fail(404, 'ENTITY_NOT_FOUND', `Task ${m[1]} does not exist.`);
        return;
      }
      if (task.status === 'QUEUED' || task.status === 'RUNNING') {
        task.reads++;
        if (task.reads > taskPolls) finishTask(task);
        else task.status = 'RUNNING';
      }
      send(200, {
        uuid: task.uuid,
        status: task.status,
        operation_type: task.operation,
        percentage_complete: task.status === 'SUCCEEDED' || task.status === 'FAILED' ? 100 : 50,
        progress_message: task.operation,
        entity_reference_list: [{ kind: 'vm', uuid: task.vmUuid }],
        ...(task.failure && task.status === 'FAILED' ? { error_code: task.failure.code, error_detail: task.failure.detail } : {}),
      });
      return;
    }

    // Prism Central v3: vms — POST /vms/list (filter, length, offset; metadata.total_matches).
    if (method === 'POST' && rest === '/vms/list') {
      if (body.kind !== 'vm') {
        fail(422, 'INVALID_REQUEST', 'kind must be vm');
        return;
      }
      const length = body.length === undefined ? 20 : Number(body.length);
      const offset = body.offset === undefined ? 0 : Number(body.offset);
      if (!Number.isInteger(length) || length < 1 || length > MAX_LIST_LENGTH || !Number.isInteger(offset) || offset < 0) {
        fail(422, 'INVALID_REQUEST', `length must be between 1 and ${MAX_LIST_LENGTH}, offset at least 0`);
        return;
      }
      const match = nameFilter(typeof body.filter === 'string' ? body.filter : undefined);
      if (typeof match === 'string') {
        fail(400, 'INVALID_REQUEST', match);
        return;
      }
      const all = [...vms.values()].filter((vm) => match(vm.name)).sort((a, b) => a.creationTime.localeCompare(b.creationTime) || a.uuid.localeCompare(b.uuid));
      send(200, {
        api_version: '3.1',
        metadata: {
          kind: 'vm',
          total_matches: all.length,
          length: Math.min(length, Math.max(0, all.length - offset)),
          offset,
          ...(body.filter ? { filter: body.filter } : {}),
        },
        entities: all.slice(offset, offset + length).map(vmEntity),
      });
      return;
    }

    // Prism Central v3: vms — POST /vms (intentful create: 202 + task).
    if (method === 'POST' && rest === '/vms') {
      const spec = (body.spec ?? {}) as Record<string, unknown>;
      const metadata = (body.metadata ?? {}) as Record<string, unknown>;
      const resources = (spec.resources ?? {}) as Record<string, unknown>;
      if (metadata.kind !== 'vm' || typeof spec.name !== 'string' || spec.name === '') {
        fail(422, 'INVALID_REQUEST', 'metadata.kind must be vm and spec.name is required');
        return;
      }
      const cluster = (spec.cluster_reference ?? {}) as { uuid?: string };
      if (cluster.uuid !== FAKE_NTNX.clusterUuid) {
        fail(422, 'INVALID_REQUEST', `Cluster ${String(cluster.uuid)} does not exist.`);
        return;
      }
      const disks = (resources.disk_list ?? []) as { data_source_reference?: { kind?: string; uuid?: string } }[];
      if (disks[0]?.data_source_reference?.kind !== 'image' || disks[0].data_source_reference.uuid !== FAKE_NTNX.imageUuid) {
        fail(422, 'INVALID_REQUEST', 'Image referenced by disk_list[0].data_source_reference does not exist.');
        return;
      }
      const nics = (resources.nic_list ?? []) as { subnet_reference?: { uuid?: string } }[];
      if (nics[0]?.subnet_reference?.uuid !== FAKE_NTNX.subnetUuid) {
        fail(422, 'INVALID_REQUEST', 'Subnet referenced by nic_list[0].subnet_reference does not exist.');
        return;
      }
      for (const f of ['num_sockets', 'num_vcpus_per_socket', 'memory_size_mib']) {
        if (!Number.isInteger(resources[f]) || (resources[f] as number) < 1) {
          fail(422, 'INVALID_REQUEST', `spec.resources.${f} must be a positive integer`);
          return;
        }
      }
      const cats = (metadata.categories ?? {}) as Record<string, string>;
      for (const [k, v] of Object.entries(cats)) {
        if (!categories.get(k)?.has(v)) {
          fail(422, 'INVALID_REQUEST', `Category ${k}:${v} does not exist.`);
          return;
        }
      }
      const guest = (resources.guest_customization ?? {}) as { cloud_init?: { user_data?: string; meta_data?: string }; sysprep?: { unattend_xml?: string } };
      const decode = (b64: string | undefined): string | null => (b64 === undefined ? null : Buffer.from(b64, 'base64').toString('utf8'));
      const uuid = randomUUID();
      ipSeq++;
      const vm: NtnxVm = {
        uuid,
        name: spec.name,
        description: typeof spec.description === 'string' ? spec.description : '',
        categories: { ...cats },
        state: 'PENDING',
        powerState: resources.power_state === 'OFF' ? 'OFF' : 'ON',
        ip: `10.20.${Math.floor(ipSeq / 250) % 250}.${(ipSeq % 250) + 2}`,
        userData: guest.cloud_init ? decode(guest.cloud_init.user_data) : guest.sysprep ? decode(guest.sysprep.unattend_xml) : null,
        metaData: decode(guest.cloud_init?.meta_data),
        guest: guest.cloud_init ? 'cloud_init' : guest.sysprep ? 'sysprep' : null,
        spec,
        metadata,
        creationTime: new Date(Date.now() + ipSeq).toISOString(),
      };
      vms.set(uuid, vm);
      const task = newTask('VM_CREATE', uuid, taskError);
      send(202, {
        status: { state: 'PENDING', execution_context: { task_uuid: task.uuid } },
        spec,
        api_version: '3.1',
        metadata: { ...metadata, kind: 'vm', uuid },
      });
      return;
    }

    // Prism Central v3: vms — GET /vms/{uuid}.
    if (method === 'GET' && (m = /^\/vms\/([^/]+)$/.exec(rest))) {
      const vm = vms.get(m[1] ?? '');
      if (!vm) fail(404, 'ENTITY_NOT_FOUND', `VM ${m[1]} does not exist.`);
      else send(200, vmEntity(vm));
      return;
    }

    // Prism Central v3: vms — DELETE /vms/{uuid} (202 + task).
    if (method === 'DELETE' && (m = /^\/vms\/([^/]+)$/.exec(rest))) {
      const vm = vms.get(m[1] ?? '');
      if (!vm) {
        fail(404, 'ENTITY_NOT_FOUND', `VM ${m[1]} does not exist.`);
        return;
      }
      vm.state = 'DELETE_PENDING';
      const task = newTask('VM_DELETE', vm.uuid);
      send(202, {
        status: { state: 'DELETE_PENDING', execution_context: { task_uuid: task.uuid } },
        spec: '',
        api_version: '3.1',
        metadata: { kind: 'vm', uuid: vm.uuid },
      });
      return;
    }

    fail(404, 'ENTITY_NOT_FOUND', `no route ${method} ${path}`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody(500, 'vm', 'INTERNAL_ERROR', String(error))));
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    vms,
    tasks,
    categories,
    calls,
    callCount: (k) => calls.get(k) ?? 0,
    resetCalls: () => calls.clear(),
    inject: (fault) => faults.inject(fault),
    putVmDirect(over = {}) {
      const uuid = randomUUID();
      ipSeq++;
      const vm: NtnxVm = {
        uuid,
        name: `manual-${uuid.slice(0, 8)}`,
        description: '',
        categories: {},
        state: 'COMPLETE',
        powerState: 'ON',
        ip: `10.30.0.${(ipSeq % 250) + 2}`,
        userData: null,
        metaData: null,
        guest: null,
        spec: { name: over.name ?? `manual-${uuid.slice(0, 8)}`, resources: {}, cluster_reference: { kind: 'cluster', uuid: FAKE_NTNX.clusterUuid } },
        metadata: { kind: 'vm' },
        creationTime: new Date().toISOString(),
        ...over,
      };
      vms.set(vm.uuid, vm);
      return vm;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
