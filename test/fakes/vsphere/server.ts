// A stateful fake of the vSphere Automation REST API subset poolform uses
// (vSphere 7.0U2+ `/api` paths), in memory, as a real HTTP or HTTPS server on
// 127.0.0.1 (ephemeral port). Every handler names the API reference section
// (developer.broadcom.com "vSphere Automation API", category/service) it
// follows. Faithful where poolform depends on it:
// - Sessions (CIS > Session): POST /api/session with Basic auth answers the
//   session id as a JSON string; later calls carry it in
//   `vmware-api-session-id`; unknown/expired ids answer 401 UNAUTHENTICATED.
//   Sessions can be expired by the test (`expireSessions`).
// - Inventory lookups by name (vCenter > Folder/ResourcePool/Datastore/
//   Network/Cluster/Datacenter "list" with `names` filters).
// - VMs (vCenter > VM): list with `names`, `folders`, `vms` filters, at most
//   `maxListItems` (4,000) results, more is UNABLE_TO_ALLOCATE_RESOURCE (the
//   list is not paginated); get; clone (`?action=clone`: source, name,
//   placement, power_on) answering the new VM's id; ALREADY_EXISTS for a name
//   taken in the folder; power start/stop (power-on takes `powerOnPolls` reads
//   of GET .../power to report POWERED_ON); guest customization (CloudinitPrep
//   userdata, ≤ 524,288 bytes); delete (a powered-on VM is refused with
//   NOT_ALLOWED_IN_CURRENT_STATE); guest identity (IP once powered on).
// - Content libraries (Content > Library / Library Item "find" and "get";
//   vCenter > VM Template > Library Items "get" and "deploy"; vCenter > OVF >
//   Library Item "deploy"): items deploy powered off into the given folder /
//   pool; vCenter > VM > Hardware > Cpu / Memory "update" after an OVF deploy.
// - Errors in vAPI's REST form `{error_type, messages: [{id, default_message}]}`.
//   Fault injection: the next N matching calls answer the given error type /
//   status (429 / 503 with Retry-After, UNABLE_TO_ALLOCATE_RESOURCE, ...), or
//   do the call and lose the answer.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type FaultMatch, readBodyText } from '../shared/faults.ts';

export const FAKE_VSPHERE_USER = { username: 'administrator@vsphere.local', password: 'Vmware1!' };
export const CLOUDINIT_USERDATA_MAX = 524_288;

export type VsphereErrorType =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHENTICATED'
  | 'UNAUTHORIZED'
  | 'RESOURCE_BUSY'
  | 'UNABLE_TO_ALLOCATE_RESOURCE'
  | 'INVALID_ARGUMENT'
  | 'NOT_ALLOWED_IN_CURRENT_STATE'
  | 'SERVICE_UNAVAILABLE'
  | 'ERROR';

export interface VsphereFault extends FaultMatch {
  /** HTTP status (default from the error type). */
  status?: number;
  error_type?: VsphereErrorType;
  message?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Do the call, then answer with the fault anyway (a lost answer). */
  afterEffect?: boolean;
}

export interface FakeVm {
  vm: string;
  name: string;
  folder: string;
  resource_pool: string;
  datastore: string | null;
  source: string;
  power_state: 'POWERED_ON' | 'POWERED_OFF' | 'SUSPENDED';
  /** Reads of the power state left before a requested power-on shows. */
  powerOnLeft: number;
  cpu_count: number;
  memory_size_MiB: number;
  userdata: string | null;
  ip: string;
  /** Network of NIC 0 when changed. */
  network?: string;
}

export interface FakeVsphereOptions {
  https?: { cert: string; key: string };
  /** Power-state reads before a started VM reports POWERED_ON (default 2). */
  powerOnPolls?: number;
  maxListItems?: number;
}

export interface FakeVsphere {
  url: string;
  vms: Map<string, FakeVm>;
  /** Calls per "METHOD /path-pattern" (ids replaced by {id}). */
  calls: Map<string, number>;
  count(key: string): number;
  inject(fault: VsphereFault): void;
  expireSessions(): void;
  /** Adds a VM by hand (foreign, or many for budgets). */
  addVm(name: string, folder?: string): FakeVm;
  close(): Promise<void>;
}

const STATUS: Record<VsphereErrorType, number> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 400,
  UNAUTHENTICATED: 401,
  UNAUTHORIZED: 403,
  RESOURCE_BUSY: 500,
  UNABLE_TO_ALLOCATE_RESOURCE: 500,
  INVALID_ARGUMENT: 400,
  NOT_ALLOWED_IN_CURRENT_STATE: 400,
  SERVICE_UNAVAILABLE: 503,
  ERROR: 500,
};

/** The inventory the fake knows (names → ids). */
export const INVENTORY = {
  datacenter: { 'dc-1': 'datacenter-1' } as Record<string, string>,
  folder: { poolform: 'group-v10', other: 'group-v11' } as Record<string, string>,
  resource_pool: { 'rp-desktops': 'resgroup-20' } as Record<string, string>,
  cluster: { 'cluster-a': 'domain-c30' } as Record<string, string>,
  clusterPool: { 'domain-c30': 'resgroup-31' } as Record<string, string>,
  datastore: { 'ds-ssd': 'datastore-40' } as Record<string, string>,
  network: { 'VM Network': 'network-50' } as Record<string, string>,
  template: { 'ubuntu-2404-template': 'vm-900' } as Record<string, string>,
  library: { 'kasm-lib': 'lib-1' } as Record<string, string>,
  libraryItem: {
    'ubuntu-vmtx': { id: 'item-1', type: 'vm-template', library: 'lib-1' },
    'ubuntu-ovf': { id: 'item-2', type: 'ovf', library: 'lib-1' },
  } as Record<string, { id: string; type: string; library: string }>,
};

export async function startFakeVsphere(options: FakeVsphereOptions = {}): Promise<FakeVsphere> {
  const powerOnPolls = options.powerOnPolls ?? 2;
  const maxList = options.maxListItems ?? 4000;
  const vms = new Map<string, FakeVm>();
  const sessions = new Set<string>();
  const calls = new Map<string, number>();
  const faults = createFaultQueue<VsphereFault>();
  let nextVm = 1000;
  let nextSession = 1;

  const addVm = (name: string, folder = INVENTORY.folder['poolform'] ?? '', extra: Partial<FakeVm> = {}): FakeVm => {
    const id = `vm-${nextVm++}`;
    const vm: FakeVm = {
      vm: id,
      name,
      folder,
      resource_pool: 'resgroup-20',
      datastore: null,
      source: 'vm-900',
      power_state: 'POWERED_OFF',
      powerOnLeft: 0,
      cpu_count: 2,
      memory_size_MiB: 4096,
      userdata: null,
      ip: `10.20.${Math.floor(nextVm / 250) % 250}.${nextVm % 250}`,
      ...extra,
    };
    vms.set(id, vm);
    return vm;
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const error = (res: ServerResponse, type: VsphereErrorType, message: string, status?: number, headers: Record<string, string> = {}): void =>
    send(
      res,
      status ?? STATUS[type],
      { error_type: type, messages: [{ id: `com.vmware.api.${type.toLowerCase()}`, default_message: message, args: [] }] },
      headers,
    );

  const byName = (table: Record<string, string>, names: string[]): { name: string; id: string }[] =>
    Object.entries(table)
      .filter(([n]) => names.length === 0 || names.includes(n))
      .map(([name, id]) => ({ name, id }));

  const pattern = (method: string, path: string): string => `${method} ${path.replace(/\/(vm|group|resgroup|datastore|network)-\d+/g, '/{id}')}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const action = url.searchParams.get('action');
    const key = pattern(method, path) + (action ? `?action=${action}` : '');
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const text = await readBodyText(req);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};

    const fault = faults.take(method, path + (action ? `?action=${action}` : ''));
    if (fault && !fault.afterEffect) {
      const type = fault.error_type ?? 'SERVICE_UNAVAILABLE';
      return error(
        res,
        type,
        fault.message ?? `injected ${type}`,
        fault.status,
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
    }
    const lost = fault?.afterEffect ? fault : undefined;
    const reply = (status: number, payload?: unknown): void => {
      if (lost) error(res, lost.error_type ?? 'ERROR', lost.message ?? 'answer lost', lost.status);
      else send(res, status, payload);
    };

    // CIS > Session > Create: Basic auth → session id (a JSON string).
    if (path === '/api/session' && method === 'POST') {
      const auth = req.headers.authorization ?? '';
      const [user, pass] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
        .toString('utf8')
        .split(':');
      if (user !== FAKE_VSPHERE_USER.username || pass !== FAKE_VSPHERE_USER.password) return error(res, 'UNAUTHENTICATED', 'Authentication required.');
      const id = `sess-${nextSession++}-${Math.random().toString(16).slice(2)}`;
      sessions.add(id);
      return send(res, 201, id);
    }
    const session = req.headers['vmware-api-session-id'];
    if (typeof session !== 'string' || !sessions.has(session)) return error(res, 'UNAUTHENTICATED', 'This method requires authentication.');
    // CIS > Session > Delete.
    if (path === '/api/session' && method === 'DELETE') {
      sessions.delete(session);
      return send(res, 204);
    }

    const names = url.searchParams.getAll('names');
    // An empty filter value matches nothing on vCenter (a set holding ""), as does an unknown datacenter.
    const dcs = url.searchParams.getAll('datacenters');
    if (dcs.some((d) => !Object.values(INVENTORY.datacenter).includes(d))) return send(res, 200, []);
    if (path === '/api/vcenter/folder' && url.searchParams.has('type') && url.searchParams.get('type') !== 'VIRTUAL_MACHINE') return send(res, 200, []);
    // vCenter > Datacenter/Folder/ResourcePool/Cluster/Datastore/Network > List (filter `names`).
    const lookups: Record<string, [Record<string, string>, string]> = {
      '/api/vcenter/datacenter': [INVENTORY.datacenter, 'datacenter'],
      '/api/vcenter/folder': [INVENTORY.folder, 'folder'],
      '/api/vcenter/resource-pool': [INVENTORY.resource_pool, 'resource_pool'],
      '/api/vcenter/datastore': [INVENTORY.datastore, 'datastore'],
      '/api/vcenter/network': [INVENTORY.network, 'network'],
    };
    const lookup = lookups[path];
    if (lookup && method === 'GET') {
      return send(
        res,
        200,
        byName(lookup[0], names).map((e) => ({ [lookup[1]]: e.id, name: e.name, ...(lookup[1] === 'network' ? { type: 'STANDARD_PORTGROUP' } : {}) })),
      );
    }
    if (path === '/api/vcenter/cluster' && method === 'GET') {
      return send(
        res,
        200,
        byName(INVENTORY.cluster, names).map((e) => ({ cluster: e.id, name: e.name })),
      );
    }
    // vCenter > Cluster > Get: the cluster's root resource pool.
    const cl = /^\/api\/vcenter\/cluster\/([^/]+)$/.exec(path);
    if (cl && method === 'GET') {
      const rp = INVENTORY.clusterPool[cl[1] ?? ''];
      if (!rp) return error(res, 'NOT_FOUND', `cluster ${cl[1]} not found`);
      return send(res, 200, { name: cl[1], resource_pool: rp });
    }

    if (path === '/api/vcenter/vm' && method === 'GET') {
      // vCenter > VM > List: filters names, folders, vms; not paginated; too many matches → UNABLE_TO_ALLOCATE_RESOURCE.
      const folders = url.searchParams.getAll('folders');
      const ids = url.searchParams.getAll('vms');
      const all = [
        ...vms.values(),
        ...byName(INVENTORY.template, names.length ? names : []).map((t) => ({
          vm: t.id,
          name: t.name,
          folder: 'group-v99',
          power_state: 'POWERED_OFF' as const,
          cpu_count: 4,
          memory_size_MiB: 8192,
        })),
      ];
      const hits = all.filter(
        (v) =>
          (names.length === 0 || names.includes(v.name)) && (folders.length === 0 || folders.includes(v.folder)) && (ids.length === 0 || ids.includes(v.vm)),
      );
      if (hits.length > maxList)
        return error(res, 'UNABLE_TO_ALLOCATE_RESOURCE', `Too many virtual machines. Add more filter criteria to reduce the number to ${maxList} or less.`);
      return send(
        res,
        200,
        hits.map((v) => ({ vm: v.vm, name: v.name, power_state: v.power_state, cpu_count: v.cpu_count, memory_size_MiB: v.memory_size_MiB })),
      );
    }
    if (path === '/api/vcenter/vm' && method === 'POST' && action === 'clone') {
      // vCenter > VM > Clone: {source, name, placement{folder, resource_pool, datastore}, power_on}.
      const source = String(body['source'] ?? '');
      const name = String(body['name'] ?? '');
      const placement = (body['placement'] ?? {}) as Record<string, string | undefined>;
      if (!Object.values(INVENTORY.template).includes(source)) return error(res, 'NOT_FOUND', `source ${source} not found`);
      if (!name || name.length > 80) return error(res, 'INVALID_ARGUMENT', 'name must be 1..80 characters');
      const folder = placement['folder'] ?? 'group-v10';
      if ([...vms.values()].some((v) => v.name === name && v.folder === folder)) return error(res, 'ALREADY_EXISTS', `The name '${name}' already exists.`);
      if (
        !Object.values(INVENTORY.resource_pool).includes(placement['resource_pool'] ?? '') &&
        !Object.values(INVENTORY.clusterPool).includes(placement['resource_pool'] ?? '')
      ) {
        return error(res, 'INVALID_ARGUMENT', 'placement.resource_pool is required');
      }
      // VM.CloneSpec has no hardware customization (CPU, memory, NICs are updated after the clone).
      if (body['hardware_customization'] !== undefined) return error(res, 'INVALID_ARGUMENT', "Unexpected field 'hardware_customization' in VM.CloneSpec");
      const vm = addVm(name, folder, { resource_pool: placement['resource_pool'] ?? '', datastore: placement['datastore'] ?? null, source });
      if (body['power_on'] === true) {
        vm.power_state = 'POWERED_ON';
        vm.powerOnLeft = powerOnPolls;
      }
      return reply(200, vm.vm);
    }
    // Content > Library > Find {name} → library ids.
    if (path === '/api/content/library' && method === 'POST' && action === 'find') {
      const id = INVENTORY.library[String(body['name'] ?? '')];
      return send(res, 200, id ? [id] : []);
    }
    // Content > Library > Item > Find {library_id, name} → item ids.
    if (path === '/api/content/library/item' && method === 'POST' && action === 'find') {
      const hit = INVENTORY.libraryItem[String(body['name'] ?? '')];
      return send(res, 200, hit && hit.library === body['library_id'] ? [hit.id] : []);
    }
    const itemOf = (id: string | undefined) => Object.entries(INVENTORY.libraryItem).find(([, v]) => v.id === id);
    // Content > Library > Item > Get.
    const itemGet = /^\/api\/content\/library\/item\/([^/]+)$/.exec(path);
    if (itemGet && method === 'GET') {
      const hit = itemOf(itemGet[1]);
      if (!hit) return error(res, 'NOT_FOUND', `library item ${itemGet[1]} not found`);
      return send(res, 200, { id: hit[1].id, name: hit[0], type: hit[1].type, library_id: hit[1].library });
    }
    const deployInto = (name: string, folder: string | undefined, pool: string | undefined, datastore: string | undefined, source: string): FakeVm | string => {
      const f = folder ?? 'group-v10';
      if ([...vms.values()].some((v) => v.name === name && v.folder === f)) return `The name '${name}' already exists.`;
      return addVm(name, f, { resource_pool: pool ?? '', datastore: datastore ?? null, source });
    };
    // vCenter > VM Template > Library Items > Get / Deploy.
    const vmtx = /^\/api\/vcenter\/vm-template\/library-items\/([^/]+)$/.exec(path);
    if (vmtx) {
      const hit = itemOf(vmtx[1]);
      if (hit?.[1].type !== 'vm-template') return error(res, 'NOT_FOUND', `VM template library item ${vmtx[1]} not found`);
      if (method === 'GET')
        return send(res, 200, {
          guest_OS: 'UBUNTU_64',
          cpu: { count: 2, cores_per_socket: 1 },
          memory: { size_MiB: 4096 },
          nics: { '4000': { backing_type: 'STANDARD_PORTGROUP', network: 'network-50' } },
        });
      if (method === 'POST' && action === 'deploy') {
        const placement = (body['placement'] ?? {}) as Record<string, string | undefined>;
        const disk = (body['disk_storage'] ?? {}) as Record<string, string | undefined>;
        const made = deployInto(String(body['name'] ?? ''), placement['folder'], placement['resource_pool'], disk['datastore'], hit[1].id);
        if (typeof made === 'string') return error(res, 'ALREADY_EXISTS', made);
        const hw = (body['hardware_customization'] ?? {}) as { cpu_update?: { num_cpus?: number }; memory_update?: { memory?: number } };
        if (hw.cpu_update?.num_cpus) made.cpu_count = hw.cpu_update.num_cpus;
        if (hw.memory_update?.memory) made.memory_size_MiB = hw.memory_update.memory;
        if (body['powered_on'] === true) made.power_state = 'POWERED_ON';
        return reply(200, made.vm);
      }
    }
    // vCenter > OVF > Library Item > Deploy → {succeeded, resource_id}.
    const ovf = /^\/api\/vcenter\/ovf\/library-item\/([^/]+)$/.exec(path);
    if (ovf && method === 'POST' && action === 'deploy') {
      const hit = itemOf(ovf[1]);
      if (hit?.[1].type !== 'ovf') return error(res, 'NOT_FOUND', `OVF library item ${ovf[1]} not found`);
      const target = (body['target'] ?? {}) as Record<string, string | undefined>;
      const spec = (body['deployment_spec'] ?? {}) as Record<string, unknown>;
      if (spec['accept_all_EULA'] !== true) return error(res, 'INVALID_ARGUMENT', 'accept_all_EULA must be true');
      const made = deployInto(
        String(spec['name'] ?? ''),
        target['folder_id'],
        target['resource_pool_id'],
        spec['default_datastore_id'] as string | undefined,
        hit[1].id,
      );
      if (typeof made === 'string')
        return reply(200, { succeeded: false, error: { errors: [{ category: 'SERVER', message: { id: 'x', default_message: made } }] } });
      return reply(200, { succeeded: true, resource_id: { type: 'VirtualMachine', id: made.vm } });
    }
    const vmPath = /^\/api\/vcenter\/vm\/(vm-\d+)(\/.*)?$/.exec(path);
    if (vmPath) {
      if (Object.values(INVENTORY.template).includes(vmPath[1] ?? '') && vmPath[2] === '/hardware/ethernet' && method === 'GET')
        return send(res, 200, [{ nic: '4000' }]);
      const vm = vms.get(vmPath[1] ?? '');
      if (!vm) return error(res, 'NOT_FOUND', `Virtual machine with identifier '${vmPath[1]}' does not exist.`);
      const sub = vmPath[2] ?? '';
      // vCenter > VM > Hardware > Ethernet > List.
      if (sub === '/hardware/ethernet' && method === 'GET') return send(res, 200, [{ nic: '4000' }]);
      // vCenter > VM > Hardware > Cpu / Memory > Update (powered-off VMs here).
      if (sub === '/hardware/cpu' && method === 'PATCH') {
        if (typeof body['count'] === 'number') vm.cpu_count = body['count'];
        return reply(204);
      }
      // vCenter > VM > Hardware > Ethernet > Update: backing {type, network} of an existing NIC.
      const eth = /^\/hardware\/ethernet\/([^/]+)$/.exec(sub);
      if (eth && method === 'PATCH') {
        if (eth[1] !== '4000') return error(res, 'NOT_FOUND', `NIC ${eth[1]} not found`);
        const backing = body['backing'] as { type?: string; network?: string } | undefined;
        if (!backing?.type || !Object.values(INVENTORY.network).includes(backing.network ?? ''))
          return error(res, 'INVALID_ARGUMENT', 'backing {type, network} required');
        vm.network = backing.network;
        return reply(204);
      }
      if (sub === '/hardware/memory' && method === 'PATCH') {
        if (typeof body['size_MiB'] === 'number') vm.memory_size_MiB = body['size_MiB'];
        return reply(204);
      }
      // vCenter > VM > Get.
      if (sub === '' && method === 'GET') {
        return send(res, 200, {
          name: vm.name,
          power_state: vm.powerOnLeft > 0 ? 'POWERED_OFF' : vm.power_state,
          cpu: { count: vm.cpu_count },
          memory: { size_MiB: vm.memory_size_MiB },
        });
      }
      // vCenter > VM > Delete: only a powered-off VM.
      if (sub === '' && method === 'DELETE') {
        if (vm.power_state === 'POWERED_ON')
          return error(res, 'NOT_ALLOWED_IN_CURRENT_STATE', 'The attempted operation cannot be performed in the current state (Powered on).');
        vms.delete(vm.vm);
        return reply(204);
      }
      // vCenter > VM > Power > Get: a started VM reports POWERED_ON only after some reads.
      if (sub === '/power' && method === 'GET') {
        if (vm.powerOnLeft > 0) {
          vm.powerOnLeft--;
          return send(res, 200, { state: 'POWERED_OFF' });
        }
        return send(res, 200, { state: vm.power_state });
      }
      // vCenter > VM > Power > Start / Stop.
      if (sub === '/power' && method === 'POST' && (action === 'start' || action === 'stop')) {
        if (action === 'start') {
          if (vm.power_state === 'POWERED_ON') return error(res, 'ALREADY_IN_DESIRED_STATE' as VsphereErrorType, 'already powered on', 400);
          vm.power_state = 'POWERED_ON';
          vm.powerOnLeft = powerOnPolls;
        } else {
          if (vm.power_state === 'POWERED_OFF') return error(res, 'ALREADY_IN_DESIRED_STATE' as VsphereErrorType, 'already powered off', 400);
          vm.power_state = 'POWERED_OFF';
          vm.powerOnLeft = 0;
        }
        return reply(204);
      }
      // vCenter > VM > Guest > Customization > Set (CloudinitPrep: configuration_spec.cloud_config.cloudinit.userdata), powered-off VMs only.
      if (sub === '/guest/customization' && method === 'PUT') {
        if (vm.power_state !== 'POWERED_OFF') return error(res, 'NOT_ALLOWED_IN_CURRENT_STATE', 'The VM must be powered off.');
        const spec = body['spec'] as
          | { configuration_spec?: { cloud_config?: { type?: string; cloudinit?: { userdata?: string; metadata?: string } } } }
          | undefined;
        const cloud = spec?.configuration_spec?.cloud_config;
        if (cloud?.type !== 'CLOUDINIT' || typeof cloud.cloudinit?.userdata !== 'string' || typeof cloud.cloudinit.metadata !== 'string') {
          return error(res, 'INVALID_ARGUMENT', 'spec.configuration_spec.cloud_config {type: CLOUDINIT, cloudinit: {metadata, userdata}} required');
        }
        if (Buffer.byteLength(cloud.cloudinit.userdata, 'utf8') > CLOUDINIT_USERDATA_MAX)
          return error(res, 'INVALID_ARGUMENT', 'userdata exceeds 524288 bytes');
        vm.userdata = cloud.cloudinit.userdata;
        return reply(204);
      }
      // vCenter > VM > Guest > Identity > Get: needs VMware Tools running (powered on), else SERVICE_UNAVAILABLE.
      if (sub === '/guest/identity' && method === 'GET') {
        if (vm.power_state !== 'POWERED_ON' || vm.powerOnLeft > 0) return error(res, 'SERVICE_UNAVAILABLE', 'VMware Tools is not running in the guest.');
        return send(res, 200, { name: 'UBUNTU_64', family: 'LINUX', host_name: vm.name.split('_')[0], ip_address: vm.ip });
      }
    }
    return error(res, 'NOT_FOUND', `no handler for ${method} ${path}`);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => error(res, 'ERROR', e instanceof Error ? e.message : String(e)));
  };
  const server: Server = options.https ? createHttpsServer({ cert: options.https.cert, key: options.https.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    vms,
    calls,
    count: (key) => calls.get(key) ?? 0,
    inject: (fault) => faults.inject(fault),
    expireSessions: () => sessions.clear(),
    addVm: (name, folder) => addVm(name, folder),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
