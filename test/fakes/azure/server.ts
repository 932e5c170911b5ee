// A stateful fake of the Azure Resource Manager subset poolform uses, served
// over HTTPS on 127.0.0.1 (ephemeral port) with a self-signed certificate
// (./tls.ts explains why HTTPS). In-memory state; every handler names the
// Azure REST reference operation it follows. Faithful where poolform depends
// on it:
// - Microsoft Entra token endpoint (client-credentials grant) and the OpenID
//   metadata MSAL reads, so @azure/identity's ClientSecretCredential works
//   against it with `authorityHost` pointed here.
// - Bearer-token check on every ARM call (401 `AuthenticationFailed` /
//   `InvalidAuthenticationToken`, ARM's error body `{error:{code,message}}`).
// - `api-version` required (400 `MissingApiVersionParameter`).
// - Long-running operations as ARM does them: PUT answers 201 (new) with an
//   `Azure-AsyncOperation` header, DELETE answers 202 with
//   `Azure-AsyncOperation` + `Location`; the operation-status resource reports
//   `InProgress` for `pollsToComplete` polls, then `Succeeded` or `Failed`
//   with an error (allocation failures arrive that way in Azure).
// - Lists paged with `nextLink` (page size `pageSize`).
// - Azure DNS record sets with etags: `If-Match` / `If-None-Match: *` give 412
//   `PreconditionFailed` when they do not hold.
// - Fault injection: the next N matching calls answer 429 (with Retry-After),
//   5xx, quota/capacity errors, 401, or an asynchronous failure.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { testCertificate } from './tls.ts';
import { HttpError } from '../shared/http-error.ts';

export type Json = Record<string, unknown>;

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  properties: Json;
  etag?: string;
}

export interface RecordSetState {
  id: string;
  name: string;
  type: string;
  etag: string;
  properties: Json;
}

export interface Fault {
  /** HTTP method to match (default any). */
  method?: string;
  /** Matches when the path (lowercase, no query) contains this or matches this RegExp. */
  path?: string | RegExp;
  /** How many matching calls fail (default 1). */
  times?: number;
  /** HTTP status (429, 500, 409, 401, ...). Ignored when `async` is set. */
  status?: number;
  code: string;
  message?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Accept the request (201/202) and fail the long-running operation with this error instead. */
  async?: boolean;
}

export interface FakeAzureCall {
  method: string;
  path: string;
  /** Operation label, e.g. `VirtualMachines_List`. */
  operation: string;
  status: number;
}

export interface FakeAzureOptions {
  tenantId?: string;
  subscriptionId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Items per list page (default 1000). */
  pageSize?: number;
  /** Polls an operation reports InProgress before it ends (default 1; 0 = ARM's synchronous answers, no polling). */
  pollsToComplete?: number;
  /** DNS zones that exist (name → resource group). */
  dnsZones?: Record<string, string>;
  /** VM sizes the fake knows (default a few Standard_ sizes). */
  vmSizes?: { name: string; numberOfCores: number; memoryInMB: number }[];
}

export interface FakeAzure {
  /** https://127.0.0.1:PORT (no trailing slash): the ARM endpoint and the authority host. */
  readonly url: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** PEM of the fake's certificate (trust it for the SDK's https agent). */
  readonly ca: string;
  readonly vms: Map<string, ArmResource>;
  readonly nics: Map<string, ArmResource>;
  readonly publicIps: Map<string, ArmResource>;
  readonly disks: Map<string, ArmResource>;
  readonly recordSets: Map<string, RecordSetState>;
  readonly calls: FakeAzureCall[];
  /** A token the fake accepts (for a static credential). */
  issueToken(): string;
  /** Make every issued token invalid (the next ARM call answers 401 InvalidAuthenticationToken). */
  revokeTokens(): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** How many calls had this operation label. */
  count(operation: string): number;
  /** Creates a resource directly (a VM, NIC, IP or record made outside poolform). */
  putDirect(
    kind: 'vm' | 'nic' | 'publicIp' | 'disk',
    resourceGroup: string,
    name: string,
    body: { tags?: Record<string, string>; properties?: Json; location?: string },
  ): ArmResource;
  putRecordDirect(resourceGroup: string, zone: string, type: string, relativeName: string, properties: Json): RecordSetState;
  /** Every resource (VM, NIC, IP, disk) tagged with `tag` = `value`. */
  tagged(tag: string, value: string): ArmResource[];
  close(): Promise<void>;
}

interface Operation {
  id: string;
  polls: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  complete: () => void;
  /** Runs when the operation ends Failed (a VM that failed to allocate stays, Failed). */
  fail?: () => void;
}

const API = '2024-07-01';

function lower(s: string): string {
  return s.toLowerCase();
}

function etag(): string {
  return randomUUID();
}

export async function startFakeAzure(options: FakeAzureOptions = {}): Promise<FakeAzure> {
  const tenantId = options.tenantId ?? '00000000-0000-0000-0000-0000000000aa';
  const subscriptionId = options.subscriptionId ?? '00000000-0000-0000-0000-0000000000bb';
  const clientId = options.clientId ?? '00000000-0000-0000-0000-0000000000cc';
  const clientSecret = options.clientSecret ?? `secret-${randomBytes(6).toString('hex')}`;
  const pageSize = options.pageSize ?? 1000;
  const pollsToComplete = options.pollsToComplete ?? 1;
  const vmSizes = options.vmSizes ?? [
    { name: 'Standard_B2s', numberOfCores: 2, memoryInMB: 4096 },
    { name: 'Standard_D4s_v5', numberOfCores: 4, memoryInMB: 16384 },
    { name: 'Standard_NC4as_T4_v3', numberOfCores: 4, memoryInMB: 28672 },
  ];
  const zones = new Map<string, string>(Object.entries(options.dnsZones ?? {}).map(([zone, rg]) => [lower(zone), rg]));

  const vms = new Map<string, ArmResource>();
  const nics = new Map<string, ArmResource>();
  const publicIps = new Map<string, ArmResource>();
  const disks = new Map<string, ArmResource>();
  const recordSets = new Map<string, RecordSetState>();
  const operations = new Map<string, Operation>();
  const tokens = new Set<string>();
  const calls: FakeAzureCall[] = [];
  let faults: (Fault & { left: number })[] = [];
  let ipCounter = 4;
  let publicCounter = 1;
  const { cert, key } = testCertificate();
  let base = '';

  const sub = `/subscriptions/${subscriptionId}`;
  const rid = (rg: string, provider: string, type: string, name: string): string => `${sub}/resourceGroups/${rg}/providers/${provider}/${type}/${name}`;
  const stores = { vm: vms, nic: nics, publicIp: publicIps, disk: disks };
  const types = {
    vm: ['Microsoft.Compute', 'virtualMachines'],
    nic: ['Microsoft.Network', 'networkInterfaces'],
    publicIp: ['Microsoft.Network', 'publicIPAddresses'],
    disk: ['Microsoft.Compute', 'disks'],
  } as const;

  function issueToken(): string {
    const token = `fake-token-${randomBytes(12).toString('hex')}`;
    tokens.add(token);
    return token;
  }

  function nextFault(method: string, path: string): (Fault & { left: number }) | undefined {
    for (const fault of faults) {
      if (fault.left <= 0) continue;
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      if (fault.path !== undefined) {
        const ok = typeof fault.path === 'string' ? path.includes(lower(fault.path)) : fault.path.test(path);
        if (!ok) continue;
      }
      fault.left--;
      return fault;
    }
    return undefined;
  }

  function newOperation(
    location: string,
    provider: string,
    complete: () => void,
    error?: { code: string; message: string },
    fail?: () => void,
  ): { op: Operation; url: string } {
    const id = randomUUID();
    const op: Operation = { id, polls: 0, status: 'InProgress', complete, ...(error ? { error } : {}), ...(fail ? { fail } : {}) };
    operations.set(id, op);
    return { op, url: `${base}${sub}/providers/${provider}/locations/${location}/operations/${id}?api-version=${API}` };
  }

  function advance(op: Operation): void {
    if (op.status !== 'InProgress') return;
    op.polls++;
    if (op.polls < pollsToComplete) return;
    if (op.error) {
      op.status = 'Failed';
      op.fail?.();
      return;
    }
    op.complete();
    op.status = 'Succeeded';
  }

  function view(r: ArmResource): Json {
    return { id: r.id, name: r.name, type: r.type, location: r.location, tags: r.tags, properties: r.properties, ...(r.etag ? { etag: r.etag } : {}) };
  }

  function page<T>(items: T[], url: URL, render: (item: T) => Json): Json {
    const start = Number(url.searchParams.get('$skiptoken') ?? '0');
    const top = Number(url.searchParams.get('$top') ?? String(pageSize));
    const size = Math.max(1, Math.min(pageSize, Number.isFinite(top) && top > 0 ? top : pageSize));
    const slice = items.slice(start, start + size);
    const out: Json = { value: slice.map(render) };
    if (start + size < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('$skiptoken', String(start + size));
      out['nextLink'] = next.toString();
    }
    return out;
  }

  function inRg<T extends { id: string }>(map: Map<string, T>, rg: string): T[] {
    const prefix = lower(`${sub}/resourceGroups/${rg}/`);
    return [...map.values()].filter((r) => lower(r.id).startsWith(prefix));
  }

  function mustGet(map: Map<string, ArmResource>, id: string): ArmResource {
    const found = map.get(lower(id));
    if (!found) throw new HttpError(404, 'ResourceNotFound', `The Resource '${id.split('/providers/')[1] ?? id}' under resource group was not found.`);
    return found;
  }

  function refId(value: unknown): string | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const id = (value as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  }

  // ------------------------------------------------------------------ handlers

  type Reply = { status: number; body?: Json; headers?: Record<string, string> };

  // Azure REST: Public IP Addresses - Create Or Update (Microsoft.Network 2024-05-01): 201 + Azure-AsyncOperation, 200 when it exists.
  function putPublicIp(id: string, rg: string, name: string, body: Json, fault?: Fault): Reply {
    const existing = publicIps.get(lower(id));
    const props = (body['properties'] as Json | undefined) ?? {};
    const resource: ArmResource = {
      id,
      name,
      type: 'Microsoft.Network/publicIPAddresses',
      location: String(body['location'] ?? 'eastus'),
      tags: (body['tags'] as Record<string, string> | undefined) ?? {},
      etag: `W/"${etag()}"`,
      properties: {
        ...props,
        publicIPAllocationMethod: props['publicIPAllocationMethod'] ?? 'Static',
        ipAddress: existing?.properties['ipAddress'] ?? `20.1.0.${publicCounter++}`,
        provisioningState: existing ? 'Succeeded' : 'Updating',
        ...(existing?.properties['ipConfiguration'] ? { ipConfiguration: existing.properties['ipConfiguration'] } : {}),
      },
    };
    void rg;
    publicIps.set(lower(id), resource);
    if (existing) {
      resource.properties['provisioningState'] = 'Succeeded';
      return { status: 200, body: view(resource) };
    }
    return created(resource, 'Microsoft.Network', () => (resource.properties['provisioningState'] = 'Succeeded'), fault);
  }

  // Azure REST: Network Interfaces - Create Or Update (Microsoft.Network 2024-05-01): 201 + Azure-AsyncOperation.
  function putNic(id: string, name: string, body: Json, fault?: Fault): Reply {
    const existing = nics.get(lower(id));
    const props = (body['properties'] as Json | undefined) ?? {};
    const configs = Array.isArray(props['ipConfigurations']) ? (props['ipConfigurations'] as Json[]) : [];
    if (configs.length === 0) throw new HttpError(400, 'InvalidRequestFormat', 'Network interface must have at least one IP configuration.');
    const previous = existing ? (existing.properties['ipConfigurations'] as Json[]) : [];
    const ipConfigurations = configs.map((c, i) => {
      const cp = (c['properties'] as Json | undefined) ?? {};
      if (!refId(cp['subnet'])) throw new HttpError(400, 'InvalidRequestFormat', 'Subnet reference is required.');
      const pipId = refId(cp['publicIPAddress']);
      if (pipId) {
        const pip = publicIps.get(lower(pipId));
        if (!pip) throw new HttpError(400, 'InvalidResourceReference', `Resource ${pipId} referenced by resource ${id} was not found.`);
        pip.properties['ipConfiguration'] = { id: `${id}/ipConfigurations/${String(c['name'] ?? 'ipconfig1')}` };
      }
      const prevIp = (previous[i]?.['properties'] as Json | undefined)?.['privateIPAddress'];
      return {
        ...c,
        id: `${id}/ipConfigurations/${String(c['name'] ?? 'ipconfig1')}`,
        properties: {
          ...cp,
          privateIPAddress: prevIp ?? `10.0.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 4}`,
          privateIPAllocationMethod: 'Dynamic',
        },
      };
    });
    const resource: ArmResource = {
      id,
      name,
      type: 'Microsoft.Network/networkInterfaces',
      location: String(body['location'] ?? 'eastus'),
      tags: (body['tags'] as Record<string, string> | undefined) ?? {},
      etag: `W/"${etag()}"`,
      properties: {
        ...props,
        ipConfigurations,
        provisioningState: 'Succeeded',
        ...(existing?.properties['virtualMachine'] ? { virtualMachine: existing.properties['virtualMachine'] } : {}),
      },
    };
    nics.set(lower(id), resource);
    if (existing) return { status: 200, body: view(resource) };
    resource.properties['provisioningState'] = 'Updating';
    return created(resource, 'Microsoft.Network', () => (resource.properties['provisioningState'] = 'Succeeded'), fault);
  }

  // Azure REST: Virtual Machines - Create Or Update (Microsoft.Compute 2024-07-01): 201 + Azure-AsyncOperation;
  // the OS disk is created as a Microsoft.Compute/disks resource managed by the VM.
  function putVm(id: string, rg: string, name: string, body: Json, fault?: Fault): Reply {
    const existing = vms.get(lower(id));
    if (existing) {
      // Same VM again (idempotent PUT): ARM compares and answers 200 with the resource.
      return { status: 200, body: view(existing) };
    }
    const props = (body['properties'] as Json | undefined) ?? {};
    const osProfile = (props['osProfile'] as Json | undefined) ?? {};
    const customData = osProfile['customData'];
    if (typeof customData === 'string' && customData.length > 87_380) {
      throw new HttpError(400, 'InvalidParameter', 'Custom data in OSProfile must be in Base64 encoding and with a maximum length of 87380 characters.');
    }
    const hw = (props['hardwareProfile'] as Json | undefined) ?? {};
    if (!vmSizes.some((s) => s.name === hw['vmSize'])) {
      throw new HttpError(409, 'SkuNotAvailable', `The requested VM size ${String(hw['vmSize'])} is not available in the current region.`);
    }
    const network = (props['networkProfile'] as Json | undefined) ?? {};
    const nicRefs = Array.isArray(network['networkInterfaces']) ? (network['networkInterfaces'] as Json[]) : [];
    if (nicRefs.length === 0) throw new HttpError(400, 'InvalidParameter', 'At least one network interface is required.');
    for (const ref of nicRefs) {
      const nicId = refId(ref);
      const nic = nicId ? nics.get(lower(nicId)) : undefined;
      if (!nic) throw new HttpError(400, 'InvalidResourceReference', `Resource ${nicId ?? '(none)'} referenced by resource ${id} was not found.`);
      const attached = refId(nic.properties['virtualMachine']);
      if (attached && lower(attached) !== lower(id))
        throw new HttpError(400, 'NicInUse', `Network Interface ${nicId} is used by existing resource ${attached}.`);
    }
    const storage = (props['storageProfile'] as Json | undefined) ?? {};
    const osDisk = (storage['osDisk'] as Json | undefined) ?? {};
    const diskName = String(osDisk['name'] ?? `${name}_OsDisk_1_${randomBytes(8).toString('hex')}`);
    const diskId = rid(rg, 'Microsoft.Compute', 'disks', diskName);
    const location = String(body['location'] ?? 'eastus');
    const { customData: _secret, adminPassword: _password, ...visibleOs } = osProfile;
    const vm: ArmResource = {
      id,
      name,
      type: 'Microsoft.Compute/virtualMachines',
      location,
      tags: (body['tags'] as Record<string, string> | undefined) ?? {},
      properties: {
        ...props,
        osProfile: visibleOs,
        storageProfile: {
          ...storage,
          osDisk: { ...osDisk, name: diskName, managedDisk: { ...((osDisk['managedDisk'] as Json | undefined) ?? {}), id: diskId } },
        },
        vmId: randomUUID(),
        timeCreated: new Date().toISOString(),
        provisioningState: 'Creating',
      },
    };
    vms.set(lower(id), vm);
    for (const ref of nicRefs) {
      const nic = nics.get(lower(refId(ref) ?? ''));
      if (nic) nic.properties['virtualMachine'] = { id };
    }
    disks.set(lower(diskId), {
      id: diskId,
      name: diskName,
      type: 'Microsoft.Compute/disks',
      location,
      tags: {},
      properties: { diskState: 'Attached', provisioningState: 'Succeeded', diskSizeGB: osDisk['diskSizeGB'] ?? 30, managedBy: id },
    });
    // An allocation failure leaves the VM in the Failed state (ARM keeps the resource).
    return created(
      vm,
      'Microsoft.Compute',
      () => (vm.properties['provisioningState'] = 'Succeeded'),
      fault,
      () => (vm.properties['provisioningState'] = 'Failed'),
    );
  }

  /**
   * The answer to a PUT that created a resource: with `pollsToComplete: 0` (and no
   * asynchronous fault) the operation completes at once and ARM's synchronous
   * form is sent (201, provisioningState Succeeded, no Azure-AsyncOperation);
   * else 201 with the Azure-AsyncOperation header to poll.
   */
  function created(resource: ArmResource, provider: string, complete: () => void, fault?: Fault, fail?: () => void): Reply {
    const error = asyncError(fault);
    if (pollsToComplete <= 0 && !error) {
      complete();
      return { status: 201, body: view(resource) };
    }
    const { url } = newOperation(resource.location, provider, complete, error, fail);
    return { status: 201, body: view(resource), headers: { 'Azure-AsyncOperation': url } };
  }

  function asyncError(fault: Fault | undefined): { code: string; message: string } | undefined {
    return fault?.async ? { code: fault.code, message: fault.message ?? fault.code } : undefined;
  }

  /** Deletes what the VM marked `deleteOption: Delete` (Virtual Machines - Delete, 2024-07-01). */
  function cascadeVmDelete(vm: ArmResource): void {
    vms.delete(lower(vm.id));
    const storage = (vm.properties['storageProfile'] as Json | undefined) ?? {};
    const osDisk = (storage['osDisk'] as Json | undefined) ?? {};
    const diskId = refId(osDisk['managedDisk']);
    const disk = diskId ? disks.get(lower(diskId)) : undefined;
    if (disk) {
      if (osDisk['deleteOption'] === 'Delete') disks.delete(lower(disk.id));
      else {
        delete disk.properties['managedBy'];
        disk.properties['diskState'] = 'Unattached';
      }
    }
    const network = (vm.properties['networkProfile'] as Json | undefined) ?? {};
    for (const ref of (network['networkInterfaces'] as Json[] | undefined) ?? []) {
      const nic = nics.get(lower(refId(ref) ?? ''));
      if (!nic) continue;
      delete nic.properties['virtualMachine'];
      const option = (ref['properties'] as Json | undefined)?.['deleteOption'];
      if (option === 'Delete') deleteNic(nic);
    }
  }

  function deleteNic(nic: ArmResource): void {
    nics.delete(lower(nic.id));
    for (const c of (nic.properties['ipConfigurations'] as Json[] | undefined) ?? []) {
      const pipId = refId((c['properties'] as Json | undefined)?.['publicIPAddress']);
      const pip = pipId ? publicIps.get(lower(pipId)) : undefined;
      if (!pip) continue;
      delete pip.properties['ipConfiguration'];
      // Public IP deleteOption (Microsoft.Network 2021-02-01+): removed with the NIC's VM.
      if (pip.properties['deleteOption'] === 'Delete') publicIps.delete(lower(pip.id));
    }
  }

  function deleteReply(resource: ArmResource | undefined, provider: string, remove: () => void, fault?: Fault): Reply {
    // Azure REST: ... - Delete: 202 Accepted with Azure-AsyncOperation + Location; 204 when it does not exist.
    if (!resource) return { status: 204 };
    if (pollsToComplete <= 0 && !asyncError(fault)) {
      remove();
      return { status: 200 };
    }
    resource.properties['provisioningState'] = 'Deleting';
    const { op, url } = newOperation(resource.location, provider, remove, asyncError(fault));
    const location = `${base}${sub}/providers/${provider}/locations/${resource.location}/operationResults/${op.id}?api-version=${API}`;
    return { status: 202, headers: { 'Azure-AsyncOperation': url, Location: location } };
  }

  // ------------------------------------------------------------------ routing

  function route(method: string, url: URL, body: Json, headers: IncomingMessage['headers'], fault?: Fault): Reply & { operation: string } {
    const path = url.pathname;

    // Azure REST: Operation status (Azure-AsyncOperation): GET .../locations/{l}/operations/{id}
    let m = /^\/subscriptions\/[^/]+\/providers\/([^/]+)\/locations\/([^/]+)\/(operations|operationresults)\/([^/]+)$/i.exec(path);
    if (m && method === 'GET') {
      const op = operations.get(m[4] ?? '');
      if (!op) throw new HttpError(404, 'OperationNotFound', 'The operation was not found.');
      advance(op);
      if (lower(m[3] ?? '') === 'operationresults') {
        // Location polling: 202 while running, 204 when done (ARM async pattern).
        if (op.status === 'InProgress') return { operation: 'OperationResults_Get', status: 202, headers: { Location: url.toString() } };
        if (op.status === 'Failed') throw new HttpError(400, op.error?.code ?? 'Failed', op.error?.message ?? 'failed');
        return { operation: 'OperationResults_Get', status: 204 };
      }
      return {
        operation: 'Operations_Get',
        status: 200,
        body: { name: op.id, status: op.status, startTime: new Date().toISOString(), ...(op.error && op.status === 'Failed' ? { error: op.error } : {}) },
      };
    }

    // Azure REST: Virtual Machine Sizes - List: GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/vmSizes
    m = /^\/subscriptions\/[^/]+\/providers\/microsoft\.compute\/locations\/([^/]+)\/vmsizes$/i.exec(path);
    if (m && method === 'GET') {
      return {
        operation: 'VirtualMachineSizes_List',
        status: 200,
        body: { value: vmSizes.map((s) => ({ ...s, maxDataDiskCount: 8, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 0 })) },
      };
    }

    m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+)(?:\/([^/]+))?)?$/i.exec(path);
    if (!m) throw new HttpError(404, 'NotFound', `No route for ${method} ${path}`);
    const rg = decodeURIComponent(path.split('/')[4] ?? '');
    const [, , , providerNs = '', type = '', name, sub1, sub2] = m;
    const kindKey = lower(`${providerNs}/${type}`);

    // ----- Azure DNS (Microsoft.Network/dnsZones, api-version 2018-05-01)
    if (kindKey === 'microsoft.network/dnszones' && name) {
      const zone = lower(decodeURIComponent(name));
      if (zones.get(zone) === undefined || lower(zones.get(zone) ?? '') !== lower(rg)) {
        throw new HttpError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/dnszones/${zone}' under resource group '${rg}' was not found.`);
      }
      const zoneId = `${sub}/resourceGroups/${rg}/providers/Microsoft.Network/dnszones/${zone}`;
      if (sub1 === undefined) {
        // Azure REST: Zones - Get
        if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', 'only GET on zones');
        return {
          operation: 'Zones_Get',
          status: 200,
          body: {
            id: zoneId,
            name: zone,
            type: 'Microsoft.Network/dnszones',
            location: 'global',
            etag: 'zone',
            properties: { numberOfRecordSets: recordSets.size },
          },
        };
      }
      const recordType = sub1.toUpperCase();
      if (sub2 === undefined) {
        // Azure REST: Record Sets - List By Type (GET .../dnsZones/{z}/{type}) / List All By Dns Zone (.../recordsets): $top + nextLink
        if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', 'only GET on a record type');
        const prefix = lower(`${zoneId}/`);
        const all = [...recordSets.values()].filter(
          (r) => lower(r.id).startsWith(prefix) && (recordType === 'RECORDSETS' || lower(r.type).endsWith(`/${lower(recordType)}`)),
        );
        all.sort((a, b) => a.id.localeCompare(b.id));
        return {
          operation: recordType === 'RECORDSETS' ? 'RecordSets_ListAllByDnsZone' : 'RecordSets_ListByType',
          status: 200,
          body: page(all, url, (r) => ({ ...r })),
        };
      }
      const relative = lower(decodeURIComponent(sub2));
      const id = `${zoneId}/${recordType}/${relative}`;
      const key = lower(id);
      const existing = recordSets.get(key);
      const ifMatch = headers['if-match'];
      const ifNoneMatch = headers['if-none-match'];
      const checkPreconditions = (): void => {
        if (ifNoneMatch === '*' && existing)
          throw new HttpError(412, 'PreconditionFailed', `The Record set ${relative} exists already and hence cannot be created again.`);
        if (typeof ifMatch === 'string' && ifMatch !== '*' && (!existing || existing.etag !== ifMatch)) {
          throw new HttpError(412, 'PreconditionFailed', `The Record set ${relative} has been modified (etag mismatch).`);
        }
        if (ifMatch === '*' && !existing) throw new HttpError(412, 'PreconditionFailed', `The Record set ${relative} does not exist.`);
      };
      if (method === 'GET') {
        // Azure REST: Record Sets - Get
        if (!existing)
          throw new HttpError(
            404,
            'NotFound',
            `The resource record '${relative}' does not exist in resource group '${rg}' of subscription '${subscriptionId}'.`,
          );
        return { operation: 'RecordSets_Get', status: 200, body: { ...existing } };
      }
      if (method === 'PUT') {
        // Azure REST: Record Sets - Create Or Update (If-Match / If-None-Match): 201 created, 200 updated
        checkPreconditions();
        const props = (body['properties'] as Json | undefined) ?? {};
        const record: RecordSetState = {
          id,
          name: relative,
          type: `Microsoft.Network/dnszones/${recordType}`,
          etag: etag(),
          properties: { ...props, fqdn: `${relative}.${zone}.`, provisioningState: 'Succeeded' },
        };
        recordSets.set(key, record);
        return { operation: 'RecordSets_CreateOrUpdate', status: existing ? 200 : 201, body: { ...record } };
      }
      if (method === 'DELETE') {
        // Azure REST: Record Sets - Delete (If-Match): 200, or 204 when absent
        if (typeof ifMatch === 'string' && ifMatch !== '*' && existing && existing.etag !== ifMatch) {
          throw new HttpError(412, 'PreconditionFailed', `The Record set ${relative} has been modified (etag mismatch).`);
        }
        if (!existing) return { operation: 'RecordSets_Delete', status: 204 };
        recordSets.delete(key);
        return { operation: 'RecordSets_Delete', status: 200 };
      }
      throw new HttpError(405, 'MethodNotAllowed', `${method} on a record set`);
    }

    if (sub1 !== undefined) throw new HttpError(404, 'NotFound', `No route for ${method} ${path}`);
    const kinds: Record<string, 'vm' | 'nic' | 'publicIp' | 'disk'> = {
      'microsoft.compute/virtualmachines': 'vm',
      'microsoft.network/networkinterfaces': 'nic',
      'microsoft.network/publicipaddresses': 'publicIp',
      'microsoft.compute/disks': 'disk',
    };
    const kind = kinds[kindKey];
    if (!kind) throw new HttpError(400, 'InvalidResourceType', `The resource type '${type}' could not be found in the namespace '${providerNs}'.`);
    const label = { vm: 'VirtualMachines', nic: 'NetworkInterfaces', publicIp: 'PublicIPAddresses', disk: 'Disks' }[kind];
    const store = stores[kind];
    const [provider, typeName] = types[kind];

    if (name === undefined) {
      // Azure REST: <type> - List (by resource group): paged with nextLink.
      if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', 'only GET on a collection');
      const items = inRg(store, rg).sort((a, b) => a.id.localeCompare(b.id));
      return { operation: `${label}_List`, status: 200, body: page(items, url, view) };
    }
    const resourceName = decodeURIComponent(name);
    const id = rid(rg, provider, typeName, resourceName);

    if (method === 'GET') {
      // Azure REST: <type> - Get
      return { operation: `${label}_Get`, status: 200, body: view(mustGet(store, id)) };
    }
    if (method === 'PUT') {
      if (kind === 'vm') return { operation: 'VirtualMachines_CreateOrUpdate', ...putVm(id, rg, resourceName, body, fault) };
      if (kind === 'nic') return { operation: 'NetworkInterfaces_CreateOrUpdate', ...putNic(id, resourceName, body, fault) };
      if (kind === 'publicIp') return { operation: 'PublicIPAddresses_CreateOrUpdate', ...putPublicIp(id, rg, resourceName, body, fault) };
      throw new HttpError(400, 'OperationNotAllowed', 'poolform never creates disks directly');
    }
    if (method === 'PATCH') {
      // Azure REST: Disks - Update / Virtual Machines - Update (tags only here): 200
      const resource = mustGet(store, id);
      if (body['tags'] && typeof body['tags'] === 'object') resource.tags = body['tags'] as Record<string, string>;
      return { operation: `${label}_Update`, status: 200, body: view(resource) };
    }
    if (method === 'DELETE') {
      const resource = store.get(lower(id));
      if (kind === 'vm') return { operation: 'VirtualMachines_Delete', ...deleteReply(resource, provider, () => resource && cascadeVmDelete(resource), fault) };
      if (kind === 'nic') {
        const attached = resource ? refId(resource.properties['virtualMachine']) : undefined;
        if (attached)
          throw new HttpError(
            400,
            'NicInUse',
            `Network Interface ${id} is used by existing resource ${attached}. In order to delete the network interface, it must be dissociated from the resource.`,
          );
        return { operation: 'NetworkInterfaces_Delete', ...deleteReply(resource, provider, () => resource && deleteNic(resource), fault) };
      }
      if (kind === 'publicIp') {
        if (resource?.properties['ipConfiguration']) {
          throw new HttpError(
            400,
            'PublicIPAddressCannotBeDeleted',
            `Public IP address ${id} can not be deleted since it is still allocated to resource ${refId(resource.properties['ipConfiguration'])}.`,
          );
        }
        return { operation: 'PublicIPAddresses_Delete', ...deleteReply(resource, provider, () => resource && publicIps.delete(lower(id)), fault) };
      }
      if (resource?.properties['managedBy']) {
        throw new HttpError(409, 'OperationNotAllowed', `Disk ${resourceName} is attached to VM ${String(resource.properties['managedBy'])}.`);
      }
      return { operation: 'Disks_Delete', ...deleteReply(resource, provider, () => resource && disks.delete(lower(id)), fault) };
    }
    throw new HttpError(405, 'MethodNotAllowed', `${method} ${path}`);
  }

  // Microsoft identity platform: POST /{tenant}/oauth2/v2.0/token (client_credentials grant).
  function token(tenant: string, form: URLSearchParams): Reply {
    if (lower(tenant) !== lower(tenantId)) {
      return { status: 400, body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.` } };
    }
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'AADSTS70003' } };
    if (form.get('client_id') !== clientId)
      return {
        status: 400,
        body: { error: 'unauthorized_client', error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found.` },
      };
    // The ARM audience of this endpoint: `<resource manager>/.default` (the SDK derives it from the endpoint).
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.includes(`${base}/.default`)) {
      return {
        status: 400,
        body: {
          error: 'invalid_scope',
          error_description: `AADSTS70011: The provided value for the input parameter 'scope' is not valid (${scopes.join(' ')}).`,
        },
      };
    }
    if (form.get('client_secret') !== clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    }
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: issueToken() } };
  }

  // OpenID Connect discovery document MSAL reads for an authority.
  function openIdConfiguration(tenant: string): Reply {
    const authority = `${base}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        issuer: `${authority}/v2.0`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
        tenant_region_scope: null,
      },
    };
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...(reply.headers ?? {}) };
    if (reply.body !== undefined) {
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    } else {
      res.writeHead(reply.status, { ...headers, 'content-length': '0' });
      res.end();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', base);
    const raw = await readBody(req);
    const path = url.pathname;
    const record = (operation: string, status: number): void => {
      calls.push({ method, path, operation, status });
    };

    let m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (m && method === 'POST') {
      const reply = token(m[1] ?? '', new URLSearchParams(raw));
      record('Token', reply.status);
      return send(res, reply);
    }
    m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (m && method === 'GET') {
      record('OpenIdConfiguration', 200);
      return send(res, openIdConfiguration(m[1] ?? ''));
    }

    try {
      const auth = req.headers['authorization'];
      const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (!bearer) throw new HttpError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
      if (!tokens.has(bearer)) throw new HttpError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
      if (!url.searchParams.get('api-version'))
        throw new HttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      const fault = nextFault(method, lower(path));
      if (fault && !fault.async) {
        const status = fault.status ?? 500;
        throw new HttpError(status, fault.code, fault.message ?? fault.code, fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {});
      }
      let body: Json = {};
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw) as Json;
        } catch {
          throw new HttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
        }
      }
      const reply = route(method, url, body, req.headers, fault);
      record(reply.operation, reply.status);
      return send(res, reply);
    } catch (error) {
      if (error instanceof HttpError) {
        record(`Error:${error.code}`, error.status);
        return send(res, { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } } });
      }
      record('Error:InternalServerError', 500);
      return send(res, { status: 500, body: { error: { code: 'InternalServerError', message: error instanceof Error ? error.message : String(error) } } });
    }
  }

  const server: Server = createServer({ cert, key }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    tenantId,
    subscriptionId,
    clientId,
    clientSecret,
    ca: cert,
    vms,
    nics,
    publicIps,
    disks,
    recordSets,
    calls,
    issueToken,
    revokeTokens: () => tokens.clear(),
    inject: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    count: (operation) => calls.filter((c) => c.operation === operation).length,
    putDirect(kind, resourceGroup, name, body) {
      const [provider, typeName] = types[kind];
      const id = rid(resourceGroup, provider, typeName, name);
      const resource: ArmResource = {
        id,
        name,
        type: `${provider}/${typeName}`,
        location: body.location ?? 'eastus',
        tags: body.tags ?? {},
        properties: { provisioningState: 'Succeeded', ...(body.properties ?? {}) },
      };
      stores[kind].set(lower(id), resource);
      return resource;
    },
    putRecordDirect(resourceGroup, zone, type, relativeName, properties) {
      const id = `${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/dnszones/${lower(zone)}/${type.toUpperCase()}/${lower(relativeName)}`;
      const record: RecordSetState = { id, name: lower(relativeName), type: `Microsoft.Network/dnszones/${type.toUpperCase()}`, etag: etag(), properties };
      recordSets.set(lower(id), record);
      return record;
    },
    tagged: (tag, value) => [...vms.values(), ...nics.values(), ...publicIps.values(), ...disks.values()].filter((r) => r.tags[tag] === value),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
