// A stateful fake of the Google Cloud subset poolform uses: Compute Engine v1
// (instances, zone operations, machine types, disks) and Cloud DNS v1
// (managed zones, resource record sets, changes), plus the OAuth 2.0 token
// endpoint. Served over plain HTTP on 127.0.0.1 (ephemeral port): the compute
// client's REST transport takes `protocol: 'http'`, and the DNS client's base
// URL is set to it (see test/fakes/gcp/harness.ts). In-memory state; every
// handler names the REST reference method it follows. Faithful where poolform
// depends on it:
// - Bearer token required on every API call (401 UNAUTHENTICATED in Google's
//   JSON error format `{error: {code, message, status, errors[], details[]}}`).
// - instances.insert with `requestId`: the same request id answers the same
//   Operation again (Compute keeps request ids for at least 60 minutes), a
//   second insert of an existing name with another request id answers 409
//   `alreadyExists`. The boot disk (initializeParams) becomes a disk resource
//   named after the instance, attached with its `autoDelete` flag; instances.delete
//   removes it only when autoDelete is true (a false one stays: an orphan).
// - Zonal operations: PENDING/RUNNING for `pollsToComplete` reads, then DONE,
//   possibly with `error.errors[]` (ZONE_RESOURCE_POOL_EXHAUSTED and
//   QUOTA_EXCEEDED arrive that way in Compute).
// - instances.list: `filter` on labels (`labels.k = "v"` expressions joined by
//   AND or parentheses), `maxResults` ≤ 500 (Compute's maximum), pageToken.
// - Cloud DNS changes.create is atomic: a deletion must match the existing
//   record set exactly (else 412 conditionNotMet), an addition must not exist
//   (else 409 alreadyExists).
// - OAuth token endpoints: the JWT bearer grant (/token, as oauth2.googleapis.com)
//   and the STS token exchange (/v1/token, as sts.googleapis.com) that
//   Application Default Credentials of type external_account use.
// - Fault injection: the next N matching calls answer 429 (Retry-After +
//   google.rpc.RetryInfo), 5xx, 403 quota, 401, or accept the insert and fail
//   the operation asynchronously.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export interface FakeInstance {
  id: string;
  name: string;
  zone: string;
  machineType: string;
  status: 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED';
  labels: Record<string, string>;
  metadata: { key: string; value: string }[];
  networkIP: string;
  natIP?: string;
  creationTimestamp: string;
  disks: { source: string; deviceName: string; autoDelete: boolean; boot: boolean }[];
  body: Json;
}

export interface FakeDisk {
  name: string;
  zone: string;
  sizeGb: string;
  users: string[];
  labels: Record<string, string>;
}

export interface FakeRrset {
  name: string;
  type: string;
  ttl: number;
  rrdatas: string[];
}

export interface GcpFault {
  method?: string;
  /** Matches when the path (no query) contains this string or matches this RegExp. */
  path?: string | RegExp;
  times?: number;
  /** HTTP status (default 429). */
  status?: number;
  /** Google status string (RESOURCE_EXHAUSTED, UNAVAILABLE, PERMISSION_DENIED, ...). */
  status_text?: string;
  /** Legacy `errors[].reason` (rateLimitExceeded, quotaExceeded, forbidden, ...). */
  reason?: string;
  message?: string;
  /** Seconds: sent as Retry-After and as google.rpc.RetryInfo.retryDelay. */
  retryAfter?: number;
  /** Accept the insert, then fail its operation with this `errors[].code` (e.g. ZONE_RESOURCE_POOL_EXHAUSTED). */
  asyncCode?: string;
}

export interface FakeGcpCall {
  method: string;
  path: string;
  /** Method label, e.g. `compute.instances.list`. */
  operation: string;
  status: number;
  /** When the fake answered (ms since epoch). */
  at: number;
}

export interface FakeGcpOptions {
  project?: string;
  /** Reads of an operation that still show it RUNNING (default 1; 0 = DONE at once). */
  pollsToComplete?: number;
  /** Cloud DNS managed zones: dnsName (no trailing dot) → zone name. */
  dnsZones?: Record<string, string>;
  /** Page size when the caller sends no maxResults (default 500). */
  defaultPageSize?: number;
}

export interface FakeGcp {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly project: string;
  readonly instances: Map<string, FakeInstance>;
  readonly disks: Map<string, FakeDisk>;
  /** Record sets by `zoneName|name|type`. */
  readonly rrsets: Map<string, FakeRrset>;
  readonly calls: FakeGcpCall[];
  /** A token the fake accepts (static-token auth client). */
  issueToken(): string;
  /**
   * Writes an Application Default Credentials file (type external_account whose
   * token_url is this fake's STS endpoint) into `dir` and returns its path: set
   * GOOGLE_APPLICATION_CREDENTIALS to it and the real ADC code path gets tokens here.
   */
  writeAdcFile(dir: string): string;
  revokeTokens(): void;
  inject(fault: GcpFault): void;
  clearFaults(): void;
  count(operation: string): number;
  /** An instance made outside poolform (no labels unless given). */
  putInstanceDirect(zone: string, name: string, labels?: Record<string, string>): FakeInstance;
  putRrsetDirect(zoneName: string, rrset: FakeRrset): void;
  close(): Promise<void>;
}

interface Operation {
  id: string;
  name: string;
  zone: string;
  operationType: string;
  targetLink: string;
  reads: number;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  error?: { errors: { code: string; message: string }[] };
  httpErrorStatusCode?: number;
  complete: () => void;
  insertTime: string;
}

class HttpError extends Error {
  readonly status: number;
  readonly statusText: string;
  readonly reason: string;
  readonly retryAfter: number | undefined;
  constructor(status: number, statusText: string, reason: string, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.statusText = statusText;
    this.reason = reason;
    this.retryAfter = retryAfter;
  }
}

/** Google's JSON error body (AIP-193 / Compute's legacy `errors[]`). */
function errorBody(e: HttpError, domain: string): Json {
  const details: Json[] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: e.reason, domain }];
  if (e.retryAfter !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${e.retryAfter}s` });
  return { error: { code: e.status, message: e.message, status: e.statusText, errors: [{ message: e.message, domain: 'global', reason: e.reason }], details } };
}

const NAME_RE = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY_RE = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE_RE = /^[a-z0-9_-]{0,63}$/;

/** Compute list `filter`: `labels.k = "v"` / `labels.k = v` terms, ANDed (AND or juxtaposed parentheses). */
function parseFilter(filter: string | null): { key: string; value: string }[] {
  if (!filter) return [];
  const terms: { key: string; value: string }[] = [];
  const re = /labels\.([a-z0-9_-]+)\s*(?:=|eq)\s*(?:"([^"]*)"|([^\s)]+))/g;
  for (const m of filter.matchAll(re)) terms.push({ key: m[1] ?? '', value: m[2] ?? m[3] ?? '' });
  if (terms.length === 0)
    throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid', `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`);
  return terms;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeGcp(options: FakeGcpOptions = {}): Promise<FakeGcp> {
  const project = options.project ?? 'poolform-test';
  const pollsToComplete = options.pollsToComplete ?? 1;
  const defaultPageSize = options.defaultPageSize ?? 500;
  const instances = new Map<string, FakeInstance>();
  const disks = new Map<string, FakeDisk>();
  const rrsets = new Map<string, FakeRrset>();
  const operations = new Map<string, Operation>();
  const requestIds = new Map<string, string>();
  const tokens = new Set<string>();
  const calls: FakeGcpCall[] = [];
  const dnsZones = new Map<string, string>(Object.entries(options.dnsZones ?? {}).map(([dns, name]) => [`${dns.replace(/\.$/, '').toLowerCase()}.`, name]));
  let faults: (GcpFault & { left: number })[] = [];
  let ipCounter = 2;
  let idCounter = 1000;
  let base = '';

  const key = (zone: string, name: string): string => `${zone}/${name}`;
  const selfLink = (zone: string, kind: string, name: string): string => `${base}/compute/v1/projects/${project}/zones/${zone}/${kind}/${name}`;

  function issueToken(): string {
    const token = `ya29.fake-${randomBytes(12).toString('hex')}`;
    tokens.add(token);
    return token;
  }

  function nextFault(method: string, path: string): (GcpFault & { left: number }) | undefined {
    for (const fault of faults) {
      if (fault.left <= 0) continue;
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      if (fault.path !== undefined && !(typeof fault.path === 'string' ? path.includes(fault.path) : fault.path.test(path))) continue;
      fault.left--;
      return fault;
    }
    return undefined;
  }

  function newOperation(zone: string, type: string, target: string, complete: () => void): Operation {
    const id = String(++idCounter);
    const op: Operation = {
      id,
      name: `operation-${Date.now()}-${randomBytes(6).toString('hex')}`,
      zone,
      operationType: type,
      targetLink: target,
      reads: 0,
      status: pollsToComplete === 0 ? 'DONE' : 'RUNNING',
      complete,
      insertTime: new Date().toISOString(),
    };
    operations.set(op.name, op);
    if (op.status === 'DONE') complete();
    return op;
  }

  function opJson(op: Operation): Json {
    return {
      kind: 'compute#operation',
      id: op.id,
      name: op.name,
      zone: `${base}/compute/v1/projects/${project}/zones/${op.zone}`,
      operationType: op.operationType,
      targetLink: op.targetLink,
      status: op.status,
      progress: op.status === 'DONE' ? 100 : 0,
      insertTime: op.insertTime,
      selfLink: `${base}/compute/v1/projects/${project}/zones/${op.zone}/operations/${op.name}`,
      ...(op.error ? { error: op.error, httpErrorStatusCode: op.httpErrorStatusCode ?? 400, httpErrorMessage: 'SERVICE UNAVAILABLE' } : {}),
    };
  }

  function readOperation(op: Operation): Json {
    if (op.status !== 'DONE') {
      op.reads++;
      if (op.reads >= pollsToComplete) {
        op.status = 'DONE';
        if (!op.error) op.complete();
      }
    }
    return opJson(op);
  }

  function instanceJson(inst: FakeInstance): Json {
    return {
      ...inst.body,
      kind: 'compute#instance',
      id: inst.id,
      name: inst.name,
      zone: `${base}/compute/v1/projects/${project}/zones/${inst.zone}`,
      machineType: inst.machineType,
      status: inst.status,
      labels: inst.labels,
      labelFingerprint: 'fp',
      metadata: { kind: 'compute#metadata', fingerprint: 'mfp', items: inst.metadata },
      creationTimestamp: inst.creationTimestamp,
      networkInterfaces: [
        {
          name: 'nic0',
          networkIP: inst.networkIP,
          ...(inst.natIP ? { accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP: inst.natIP }] } : {}),
        },
      ],
      disks: inst.disks.map((d, i) => ({ ...d, index: i, type: 'PERSISTENT', mode: 'READ_WRITE' })),
      selfLink: selfLink(inst.zone, 'instances', inst.name),
    };
  }

  // Compute REST: instances.insert (POST /compute/v1/projects/{project}/zones/{zone}/instances?requestId=)
  function insertInstance(zone: string, body: Json, requestId: string | null, fault: GcpFault | undefined): Json {
    if (requestId) {
      const prior = requestIds.get(requestId);
      const op = prior ? operations.get(prior) : undefined;
      if (op) return opJson(op);
    }
    const name = String(body['name'] ?? '');
    if (!NAME_RE.test(name))
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        'invalid',
        `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
      );
    if (instances.has(key(zone, name)))
      throw new HttpError(409, 'ALREADY_EXISTS', 'alreadyExists', `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`);
    const labels = (body['labels'] ?? {}) as Record<string, string>;
    const labelEntries = Object.entries(labels);
    if (labelEntries.length > 64) throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid', 'Too many labels (at most 64).');
    for (const [k, v] of labelEntries) {
      if (!LABEL_KEY_RE.test(k) || !LABEL_VALUE_RE.test(v))
        throw new HttpError(
          400,
          'INVALID_ARGUMENT',
          'invalid',
          `Invalid value for field 'resource.labels': '${k}=${v}'. Label keys and values must follow GCP label rules.`,
        );
    }
    const items = (((body['metadata'] ?? {}) as Json)['items'] ?? []) as { key: string; value: string }[];
    let total = 0;
    for (const item of items) {
      const bytes = Buffer.byteLength(item.value ?? '', 'utf8');
      total += bytes + Buffer.byteLength(item.key ?? '', 'utf8');
      if (bytes > 262_144)
        throw new HttpError(
          400,
          'INVALID_ARGUMENT',
          'invalid',
          `Invalid value for field 'resource.metadata': metadata value of '${item.key}' is larger than 262144 bytes.`,
        );
    }
    if (total > 512 * 1024) throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid', 'Metadata total size exceeds 512 KB.');
    const diskSpecs = (body['disks'] ?? []) as Json[];
    const boot = diskSpecs.find((d) => d['boot'] === true);
    if (!boot) throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid', "Invalid value for field 'resource.disks': a boot disk is required.");
    const init = (boot['initializeParams'] ?? {}) as Json;
    if (typeof init['sourceImage'] !== 'string' || !/^(projects\/|https?:)/.test(init['sourceImage'])) {
      throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid', "Invalid value for field 'resource.disks[0].initializeParams.sourceImage'.");
    }
    const nics = (body['networkInterfaces'] ?? []) as Json[];
    const wantsNat = ((nics[0]?.['accessConfigs'] ?? []) as Json[]).length > 0;
    const n = ipCounter++;
    const inst: FakeInstance = {
      id: String(++idCounter),
      name,
      zone,
      machineType: String(body['machineType'] ?? ''),
      status: 'PROVISIONING',
      labels: { ...labels },
      metadata: items.map((i) => ({ key: i.key, value: i.value })),
      networkIP: `10.128.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      ...(wantsNat ? { natIP: `34.1.${Math.floor(n / 250)}.${(n % 250) + 2}` } : {}),
      creationTimestamp: new Date().toISOString(),
      disks: [],
      body: { description: body['description'], tags: body['tags'], serviceAccounts: body['serviceAccounts'] },
    };
    const target = selfLink(zone, 'instances', name);
    const asyncCode = fault?.asyncCode;
    instances.set(key(zone, name), inst);
    const diskName = String(boot['deviceName'] ?? init['diskName'] ?? name);
    const diskKey = key(zone, String(init['diskName'] ?? name));
    disks.set(diskKey, {
      name: String(init['diskName'] ?? name),
      zone,
      sizeGb: String(init['diskSizeGb'] ?? '10'),
      users: [target],
      labels: { ...((init['labels'] ?? {}) as Record<string, string>) },
    });
    inst.disks.push({
      source: selfLink(zone, 'disks', String(init['diskName'] ?? name)),
      deviceName: diskName,
      autoDelete: boot['autoDelete'] === true,
      boot: true,
    });
    const op = newOperation(zone, 'insert', target, () => {
      const live = instances.get(key(zone, name));
      if (live) live.status = 'RUNNING';
    });
    if (asyncCode) {
      // The insert was accepted; the operation ends DONE with an error and nothing remains.
      instances.delete(key(zone, name));
      disks.delete(diskKey);
      op.error = {
        errors: [
          {
            code: asyncCode,
            message: fault?.message ?? `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.`,
          },
        ],
      };
      op.httpErrorStatusCode = asyncCode === 'QUOTA_EXCEEDED' ? 403 : 503;
      op.status = 'DONE';
    }
    if (requestId) requestIds.set(requestId, op.name);
    return opJson(op);
  }

  // Compute REST: instances.delete (DELETE …/instances/{instance}?requestId=)
  function deleteInstance(zone: string, name: string, requestId: string | null): Json {
    if (requestId) {
      const prior = requestIds.get(requestId);
      const op = prior ? operations.get(prior) : undefined;
      if (op) return opJson(op);
    }
    const inst = instances.get(key(zone, name));
    if (!inst) throw new HttpError(404, 'NOT_FOUND', 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
    inst.status = 'STOPPING';
    const op = newOperation(zone, 'delete', selfLink(zone, 'instances', name), () => {
      instances.delete(key(zone, name));
      for (const d of inst.disks) {
        const diskName = d.source.split('/').pop() ?? '';
        const disk = disks.get(key(zone, diskName));
        if (!disk) continue;
        disk.users = disk.users.filter((u) => !u.endsWith(`/instances/${name}`));
        if (d.autoDelete) disks.delete(key(zone, diskName));
      }
    });
    if (requestId) requestIds.set(requestId, op.name);
    return opJson(op);
  }

  // Compute REST: instances.list (GET …/zones/{zone}/instances?filter=&maxResults=&pageToken=)
  function listInstances(zone: string, q: URLSearchParams): Json {
    const max = q.has('maxResults') ? Number(q.get('maxResults')) : defaultPageSize;
    if (!Number.isInteger(max) || max < 0 || max > 500)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        'invalid',
        `Invalid value for field 'maxResults': '${q.get('maxResults')}'. Must be less than or equal to 500`,
      );
    const terms = parseFilter(q.get('filter'));
    const all = [...instances.values()]
      .filter((i) => i.zone === zone && terms.every((t) => i.labels[t.key] === t.value))
      .sort((a, b) => a.name.localeCompare(b.name));
    const start = q.get('pageToken') ? Number(Buffer.from(q.get('pageToken') ?? '', 'base64url').toString()) : 0;
    const size = max === 0 ? 500 : max;
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
    return {
      kind: 'compute#instanceList',
      id: `projects/${project}/zones/${zone}/instances`,
      items: page.map(instanceJson),
      ...(next ? { nextPageToken: next } : {}),
      selfLink: `${base}/compute/v1/projects/${project}/zones/${zone}/instances`,
    };
  }

  // ---- Cloud DNS

  function zoneByName(name: string): string {
    for (const [dns, zoneName] of dnsZones) if (zoneName === name) return dns;
    throw new HttpError(404, 'NOT_FOUND', 'notFound', `The 'parameters.managedZone' resource named '${name}' does not exist.`);
  }

  const rrKey = (zone: string, name: string, type: string): string => `${zone}|${name.toLowerCase()}|${type}`;
  const sameRrset = (a: FakeRrset, b: FakeRrset): boolean =>
    a.ttl === b.ttl && a.rrdatas.length === b.rrdatas.length && a.rrdatas.every((v, i) => v === b.rrdatas[i]);

  // Cloud DNS REST: changes.create (POST /dns/v1/projects/{project}/managedZones/{managedZone}/changes)
  function createChange(zoneName: string, body: Json): Json {
    const dns = zoneByName(zoneName);
    const additions = (body['additions'] ?? []) as FakeRrset[];
    const deletions = (body['deletions'] ?? []) as FakeRrset[];
    const next = new Map(rrsets);
    for (const d of deletions) {
      const k = rrKey(zoneName, d.name, d.type);
      const found = next.get(k);
      if (!found || !sameRrset(found, { ...d, ttl: Number(d.ttl) })) {
        throw new HttpError(
          found ? 412 : 404,
          found ? 'FAILED_PRECONDITION' : 'NOT_FOUND',
          found ? 'conditionNotMet' : 'notFound',
          found
            ? `Precondition not met for 'entity.change.deletions[${d.name}][${d.type}]'`
            : `The 'entity.change.deletions[${d.name}][${d.type}]' resource named '${d.name} (${d.type})' does not exist.`,
        );
      }
      next.delete(k);
    }
    for (const a of additions) {
      const name = String(a.name);
      if (!name.endsWith('.') || !(name.toLowerCase() === dns || name.toLowerCase().endsWith(`.${dns}`))) {
        throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid', `Invalid value for 'entity.change.additions[${name}].name'`);
      }
      const k = rrKey(zoneName, name, a.type);
      if (next.has(k))
        throw new HttpError(
          409,
          'ALREADY_EXISTS',
          'alreadyExists',
          `The resource 'entity.change.additions[${name}][${a.type}]' named '${name} (${a.type})' already exists`,
        );
      next.set(k, { name: name.toLowerCase(), type: a.type, ttl: Number(a.ttl ?? 300), rrdatas: [...(a.rrdatas ?? [])] });
    }
    rrsets.clear();
    for (const [k, v] of next) rrsets.set(k, v);
    return { kind: 'dns#change', id: String(++idCounter), status: 'done', startTime: new Date().toISOString(), additions, deletions };
  }

  // Cloud DNS REST: resourceRecordSets.list (GET …/managedZones/{managedZone}/rrsets?name=&type=&maxResults=&pageToken=)
  function listRrsets(zoneName: string, q: URLSearchParams): Json {
    zoneByName(zoneName);
    const max = Math.min(Number(q.get('maxResults') ?? 1000) || 1000, 1000);
    const name = q.get('name')?.toLowerCase();
    const type = q.get('type');
    const all = [...rrsets.entries()]
      .filter(([k, r]) => k.startsWith(`${zoneName}|`) && (!name || r.name === name) && (!type || r.type === type))
      .map(([, r]) => r)
      .sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name)));
    const start = q.get('pageToken') ? Number(Buffer.from(q.get('pageToken') ?? '', 'base64url').toString()) : 0;
    const page = all.slice(start, start + max);
    const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
    return {
      kind: 'dns#resourceRecordSetsListResponse',
      rrsets: page.map((r) => ({ kind: 'dns#resourceRecordSet', ...r })),
      ...(next ? { nextPageToken: next } : {}),
    };
  }

  // Cloud DNS REST: managedZones.list (GET /dns/v1/projects/{project}/managedZones?dnsName=)
  function listZones(q: URLSearchParams): Json {
    const want = q.get('dnsName')?.toLowerCase();
    const zones = [...dnsZones].filter(([dns]) => !want || dns === (want.endsWith('.') ? want : `${want}.`));
    return {
      kind: 'dns#managedZonesListResponse',
      managedZones: zones.map(([dns, name], i) => ({ kind: 'dns#managedZone', name, dnsName: dns, id: String(9000 + i), visibility: 'public' })),
    };
  }

  // ---- routing

  function route(method: string, path: string, q: URLSearchParams, body: Json): { status: number; json: Json; operation: string } {
    let m = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/(instances|operations|machineTypes|disks)(?:\/([^/]+))?(?:\/(wait))?$/.exec(path);
    if (m) {
      const [, p, zone = '', collection, name, wait] = m;
      if (p !== project) throw new HttpError(403, 'PERMISSION_DENIED', 'forbidden', `Required 'compute.instances.list' permission for 'projects/${p}'`);
      if (collection === 'instances') {
        if (!name && method === 'POST')
          return { status: 200, json: insertInstance(zone, body, q.get('requestId'), currentFault), operation: 'compute.instances.insert' };
        if (!name && method === 'GET') return { status: 200, json: listInstances(zone, q), operation: 'compute.instances.list' };
        if (name && method === 'GET') {
          // Compute REST: instances.get
          const inst = instances.get(key(zone, name));
          if (!inst) throw new HttpError(404, 'NOT_FOUND', 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
          return { status: 200, json: instanceJson(inst), operation: 'compute.instances.get' };
        }
        if (name && method === 'DELETE') return { status: 200, json: deleteInstance(zone, name, q.get('requestId')), operation: 'compute.instances.delete' };
      }
      if (collection === 'operations' && name) {
        // Compute REST: zoneOperations.get (GET) and zoneOperations.wait (POST …/wait)
        const op = operations.get(name);
        if (!op || op.zone !== zone)
          throw new HttpError(404, 'NOT_FOUND', 'notFound', `The resource 'projects/${project}/zones/${zone}/operations/${name}' was not found`);
        if (wait && method === 'POST') {
          while (op.status !== 'DONE') readOperation(op);
          return { status: 200, json: opJson(op), operation: 'compute.zoneOperations.wait' };
        }
        if (method === 'GET') return { status: 200, json: readOperation(op), operation: 'compute.zoneOperations.get' };
      }
      if (collection === 'machineTypes' && name && method === 'GET') {
        // Compute REST: machineTypes.get
        const t = /^(?:e2|n2|n2d|c3)-(?:standard|highmem|highcpu)-(\d+)$/.exec(name);
        if (!t) throw new HttpError(404, 'NOT_FOUND', 'notFound', `The resource 'projects/${project}/zones/${zone}/machineTypes/${name}' was not found`);
        const cpus = Number(t[1]);
        const perCpu = name.includes('highmem') ? 8192 : name.includes('highcpu') ? 1024 : 4096;
        return {
          status: 200,
          json: { kind: 'compute#machineType', name, guestCpus: cpus, memoryMb: cpus * perCpu, zone },
          operation: 'compute.machineTypes.get',
        };
      }
      if (collection === 'disks' && !name && method === 'GET') {
        // Compute REST: disks.list
        const items = [...disks.values()]
          .filter((d) => d.zone === zone)
          .map((d) => ({ kind: 'compute#disk', ...d, selfLink: selfLink(zone, 'disks', d.name) }));
        return { status: 200, json: { kind: 'compute#diskList', items }, operation: 'compute.disks.list' };
      }
    }
    m = /^\/dns\/v1\/projects\/([^/]+)\/managedZones(?:\/([^/]+)(?:\/(rrsets|changes))?)?$/.exec(path);
    if (m) {
      const [, p, zoneName, sub] = m;
      if (p !== project) throw new HttpError(403, 'PERMISSION_DENIED', 'forbidden', `Forbidden: project ${p}`);
      if (!zoneName && method === 'GET') return { status: 200, json: listZones(q), operation: 'dns.managedZones.list' };
      if (zoneName && sub === 'rrsets' && method === 'GET') return { status: 200, json: listRrsets(zoneName, q), operation: 'dns.resourceRecordSets.list' };
      if (zoneName && sub === 'changes' && method === 'POST') return { status: 200, json: createChange(zoneName, body), operation: 'dns.changes.create' };
    }
    throw new HttpError(404, 'NOT_FOUND', 'notFound', `No route for ${method} ${path}`);
  }

  let currentFault: GcpFault | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const text = await readBody(req);
    const record = (operation: string, status: number): void => {
      calls.push({ method, path, operation, status, at: Date.now() });
    };
    const sendJson = (status: number, json: Json, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(json));
    };
    // OAuth 2.0 token endpoint (JWT bearer grant, RFC 7523), as https://oauth2.googleapis.com/token.
    if (path === '/token' && method === 'POST') {
      const form = new URLSearchParams(text);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !form.get('assertion')) {
        record('oauth2.token', 400);
        sendJson(400, { error: 'invalid_grant', error_description: 'Invalid grant' });
        return;
      }
      record('oauth2.token', 200);
      sendJson(200, { access_token: issueToken(), expires_in: 3599, token_type: 'Bearer' });
      return;
    }
    // Security Token Service token exchange (RFC 8693), as https://sts.googleapis.com/v1/token: what
    // Application Default Credentials of type external_account (workload identity federation) call with
    // their `token_url`. Lets a child process authenticate through the real ADC code path.
    if (path === '/v1/token' && method === 'POST') {
      const form = new URLSearchParams(text);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange' || !form.get('subject_token')) {
        record('sts.token', 400);
        sendJson(400, { error: 'invalid_request', error_description: 'Invalid token exchange request' });
        return;
      }
      record('sts.token', 200);
      sendJson(200, { access_token: issueToken(), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3599 });
      return;
    }
    const domain = path.startsWith('/dns/') ? 'dns.googleapis.com' : 'compute.googleapis.com';
    const label = path.startsWith('/dns/') ? 'dns' : 'compute';
    try {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!tokens.has(token)) {
        throw new HttpError(
          401,
          'UNAUTHENTICATED',
          'authError',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      }
      const fault = nextFault(method, path);
      currentFault = undefined;
      if (fault && !fault.asyncCode) {
        const status = fault.status ?? 429;
        const statusText =
          fault.status_text ??
          (status === 429
            ? 'RESOURCE_EXHAUSTED'
            : status === 403
              ? 'PERMISSION_DENIED'
              : status === 401
                ? 'UNAUTHENTICATED'
                : status >= 500
                  ? 'UNAVAILABLE'
                  : 'INVALID_ARGUMENT');
        const reason = fault.reason ?? (status === 429 ? 'rateLimitExceeded' : status >= 500 ? 'backendError' : 'invalid');
        throw new HttpError(status, statusText, reason, fault.message ?? `${reason} (injected)`, fault.retryAfter);
      }
      if (fault?.asyncCode) currentFault = fault;
      let body: Json = {};
      if (text) {
        try {
          body = JSON.parse(text) as Json;
        } catch {
          throw new HttpError(400, 'INVALID_ARGUMENT', 'parseError', 'Parse Error');
        }
      }
      const out = route(method, path, url.searchParams, body);
      currentFault = undefined;
      record(out.operation, out.status);
      sendJson(out.status, out.json);
    } catch (error) {
      currentFault = undefined;
      const e = error instanceof HttpError ? error : new HttpError(500, 'INTERNAL', 'backendError', error instanceof Error ? error.message : String(error));
      record(`${label}.error`, e.status);
      calls[calls.length - 1] = { method, path, operation: guessOperation(method, path), status: e.status, at: Date.now() };
      sendJson(e.status, errorBody(e, domain), e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {});
    }
  }

  function guessOperation(method: string, path: string): string {
    if (/\/instances$/.test(path)) return method === 'POST' ? 'compute.instances.insert' : 'compute.instances.list';
    if (/\/instances\/[^/]+$/.test(path)) return method === 'DELETE' ? 'compute.instances.delete' : 'compute.instances.get';
    if (/\/operations\//.test(path)) return 'compute.zoneOperations.get';
    if (/\/machineTypes\//.test(path)) return 'compute.machineTypes.get';
    if (/\/rrsets$/.test(path)) return 'dns.resourceRecordSets.list';
    if (/\/changes$/.test(path)) return 'dns.changes.create';
    if (/\/managedZones$/.test(path)) return 'dns.managedZones.list';
    return 'unknown';
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    host: '127.0.0.1',
    port,
    project,
    instances,
    disks,
    rrsets,
    calls,
    issueToken,
    writeAdcFile: (dir) => {
      const subject = join(dir, 'gcp-subject-token');
      writeFileSync(subject, 'fake-subject-token');
      const file = join(dir, 'gcp-adc.json');
      writeFileSync(
        file,
        JSON.stringify({
          type: 'external_account',
          audience: `//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/poolform/providers/fake`,
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
          token_url: `${base}/v1/token`,
          credential_source: { file: subject },
        }),
      );
      return file;
    },
    revokeTokens: () => tokens.clear(),
    inject: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    count: (operation) => calls.filter((c) => c.operation === operation).length,
    putInstanceDirect: (zone, name, labels = {}) => {
      const inst: FakeInstance = {
        id: String(++idCounter),
        name,
        zone,
        machineType: `zones/${zone}/machineTypes/e2-standard-4`,
        status: 'RUNNING',
        labels,
        metadata: [],
        networkIP: `10.128.9.${ipCounter++ % 250}`,
        creationTimestamp: new Date().toISOString(),
        disks: [],
        body: {},
      };
      instances.set(key(zone, name), inst);
      return inst;
    },
    putRrsetDirect: (zoneName, rrset) => {
      rrsets.set(rrKey(zoneName, rrset.name, rrset.type), { ...rrset, name: rrset.name.toLowerCase() });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
