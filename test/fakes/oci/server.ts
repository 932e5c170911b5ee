// A stateful fake of the Oracle Cloud Infrastructure REST APIs poolform uses:
// Core Services (Compute + Networking, API version 20160918) and DNS (API
// version 20180115), served over plain HTTP on 127.0.0.1 (ephemeral port; the
// SDK clients' `endpoint` points at it; the oci-sdk signs http requests the
// same as https ones). In-memory state; every handler names the OCI API
// reference operation it follows (docs.oracle.com/iaas/api/).
// Faithful where poolform depends on it:
// - Request signing (docs "Request Signatures", draft-cavage HTTP signatures):
//   every call needs `Authorization: Signature version="1",keyId="<tenancy>/<user>/<fingerprint>",
//   algorithm="rsa-sha256",headers="...",signature="..."`; the signed headers must
//   include `date` or `x-date`, `(request-target)` and `host`, plus
//   `content-length`, `content-type` and `x-content-sha256` for a body; the
//   body hash is checked, and the signature verified with the configured
//   public key. Failures answer 401 `NotAuthenticated`.
// - Errors are `{code, message}` with an `opc-request-id` header; 429
//   `TooManyRequests`, 400 `LimitExceeded`/`QuotaExceeded`, 500
//   `InternalError` "Out of host capacity." are injectable (faults).
// - LaunchInstance honours `opc-retry-token` (same token → the same
//   instance, for 24 h in OCI); instances go PROVISIONING → RUNNING after
//   `readsToRunning` reads, TERMINATING → TERMINATED after `readsToTerminated`.
// - Lists paginate with `limit` (≤ 1000) / `page` and the `opc-next-page` header.
import { createHash, createVerify, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError } from '../shared/http-error.ts';

type Json = Record<string, unknown>;

export interface FakeOciInstance {
  id: string;
  compartmentId: string;
  availabilityDomain: string;
  displayName: string;
  shape: string;
  shapeConfig?: { ocpus?: number; memoryInGBs?: number };
  sourceDetails: Json;
  metadata: Record<string, string>;
  freeformTags: Record<string, string>;
  definedTags: Record<string, Record<string, unknown>>;
  lifecycleState: 'PROVISIONING' | 'RUNNING' | 'STOPPED' | 'TERMINATING' | 'TERMINATED';
  timeCreated: string;
  subnetId: string;
  nsgIds: string[];
  preserveBootVolume?: boolean;
  readsLeft: number;
  bootVolumeId: string;
  vnicId: string;
  privateIpId: string;
  privateIp: string;
  publicIp: string | null;
}

export interface FakeOciRecord {
  domain: string;
  rtype: string;
  rdata: string;
  ttl: number;
  recordHash: string;
}

export interface FakeOciFault {
  method?: string;
  /** Matches when the path (no query) contains this or matches this RegExp. */
  path?: string | RegExp;
  /** How many matching calls fail (default 1). */
  times?: number;
  status: number;
  code: string;
  message?: string;
  /** Retry-After seconds (429). */
  retryAfter?: number;
  /** The call is carried out, then its answer is replaced by the error (a lost answer). */
  afterHandling?: boolean;
}

export interface FakeOciOptions {
  tenancy: string;
  user: string;
  fingerprint: string;
  /** PEM public key matching the client's private key: signatures are verified when set. */
  publicKeyPem?: string;
  readsToRunning?: number;
  readsToTerminated?: number;
  /** Largest page a list answers (default 1,000, OCI's maximum `limit`); small values force pagination. */
  pageSize?: number;
  /** Shapes ListShapes reports (capacity). */
  shapes?: { shape: string; ocpus?: number; memoryInGBs?: number; gpus?: number; defaultPerOcpuInGBs?: number }[];
  /** DNS zones that exist (names). */
  zones?: string[];
}

export interface FakeOciCall {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
  retryToken?: string;
}

export interface FakeOci {
  url: string;
  instances: Map<string, FakeOciInstance>;
  /** Zone name → records. */
  zones: Map<string, { id: string; compartmentId: string; records: FakeOciRecord[] }>;
  calls: FakeOciCall[];
  /** Calls matching `method` and path fragment. */
  count(method: string, path: string | RegExp): number;
  inject(fault: FakeOciFault): void;
  /** Adds an instance poolform did not make (no poolform tags). */
  addForeign(compartmentId: string, tags?: Record<string, string>): FakeOciInstance;
  close(): Promise<void>;
}

const MAX_LIMIT = 1000;
/** The DNS API pages at most 100 items. */
const DNS_MAX_LIMIT = 100;
const METADATA_LIMIT = 32_000;

const ocid = (kind: string): string => `ocid1.${kind}.oc1.iad.${randomBytes(12).toString('hex')}`;

function parseSignature(header: string | undefined): Record<string, string> | undefined {
  if (!header?.startsWith('Signature ')) return undefined;
  const out: Record<string, string> = {};
  for (const m of header.slice('Signature '.length).matchAll(/(\w+)="([^"]*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

export async function startOciFake(options: FakeOciOptions): Promise<FakeOci> {
  const instances = new Map<string, FakeOciInstance>();
  const zones = new Map<string, { id: string; compartmentId: string; records: FakeOciRecord[] }>();
  for (const z of options.zones ?? []) zones.set(z, { id: ocid('dns-zone'), compartmentId: '', records: [] });
  const retryTokens = new Map<string, string>();
  const calls: FakeOciCall[] = [];
  const faults: (FakeOciFault & { left: number })[] = [];
  let ipSeq = 10;
  const readsToRunning = options.readsToRunning ?? 1;
  const readsToTerminated = options.readsToTerminated ?? 1;

  function authenticate(req: IncomingMessage, path: string, body: string): void {
    const sig = parseSignature(req.headers.authorization);
    if (sig?.version !== '1' || sig.algorithm !== 'rsa-sha256' || !sig.headers || !sig.signature || !sig.keyId) {
      throw new HttpError(401, 'NotAuthenticated', 'The required information to complete authentication was not provided or was incorrect.');
    }
    if (sig.keyId !== `${options.tenancy}/${options.user}/${options.fingerprint}`) {
      throw new HttpError(401, 'NotAuthenticated', 'The required information to complete authentication was not provided or was incorrect.');
    }
    const signed = sig.headers.split(' ').map((h) => h.toLowerCase());
    const need = ['(request-target)', 'host', signed.includes('x-date') ? 'x-date' : 'date'];
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    if (hasBody) need.push('content-length', 'content-type', 'x-content-sha256');
    for (const h of need) if (!signed.includes(h)) throw new HttpError(401, 'NotAuthenticated', `The signature does not cover the required header ${h}.`);
    if (hasBody) {
      const sha = createHash('sha256').update(body).digest('base64');
      if (req.headers['x-content-sha256'] !== sha) throw new HttpError(401, 'NotAuthenticated', 'x-content-sha256 does not match the body.');
    }
    if (options.publicKeyPem) {
      const lines = signed.map((h) =>
        h === '(request-target)' ? `(request-target): ${(req.method ?? 'GET').toLowerCase()} ${req.url ?? path}` : `${h}: ${String(req.headers[h] ?? '')}`,
      );
      const ok = createVerify('RSA-SHA256').update(lines.join('\n')).verify(options.publicKeyPem, sig.signature, 'base64');
      if (!ok) throw new HttpError(401, 'NotAuthenticated', 'The required information to complete authentication was not provided or was incorrect.');
    }
  }

  function page<T>(items: T[], query: URLSearchParams, res: ServerResponse, max = MAX_LIMIT): T[] {
    const asked = Number(query.get('limit') ?? max);
    if (asked > max) throw new HttpError(400, 'InvalidParameter', `limit must be at most ${max}.`);
    const limit = Math.min(options.pageSize ?? max, Math.max(1, asked));
    const start = Number(query.get('page') ?? 0);
    const slice = items.slice(start, start + limit);
    if (start + limit < items.length) res.setHeader('opc-next-page', String(start + limit));
    return slice;
  }

  function advance(i: FakeOciInstance): void {
    if (i.lifecycleState === 'PROVISIONING' || i.lifecycleState === 'TERMINATING') {
      if (i.readsLeft > 0) i.readsLeft--;
      if (i.readsLeft <= 0) i.lifecycleState = i.lifecycleState === 'PROVISIONING' ? 'RUNNING' : 'TERMINATED';
    }
  }

  function view(i: FakeOciInstance): Json {
    return {
      id: i.id,
      compartmentId: i.compartmentId,
      availabilityDomain: i.availabilityDomain,
      displayName: i.displayName,
      shape: i.shape,
      ...(i.shapeConfig ? { shapeConfig: i.shapeConfig } : {}),
      sourceDetails: i.sourceDetails,
      metadata: i.metadata,
      freeformTags: i.freeformTags,
      definedTags: i.definedTags,
      lifecycleState: i.lifecycleState,
      timeCreated: i.timeCreated,
      region: 'iad',
    };
  }

  function newInstance(d: Json, compartmentId: string): FakeOciInstance {
    const vnic = (d.createVnicDetails ?? {}) as Json;
    const n = ipSeq++;
    return {
      id: ocid('instance'),
      compartmentId,
      availabilityDomain: String(d.availabilityDomain),
      displayName: typeof d.displayName === 'string' ? d.displayName : `instance-${n}`,
      shape: String(d.shape),
      ...(d.shapeConfig ? { shapeConfig: d.shapeConfig as { ocpus?: number; memoryInGBs?: number } } : {}),
      sourceDetails: (d.sourceDetails ?? {}) as Json,
      metadata: (d.metadata ?? {}) as Record<string, string>,
      freeformTags: (d.freeformTags ?? {}) as Record<string, string>,
      definedTags: (d.definedTags ?? {}) as Record<string, Record<string, unknown>>,
      lifecycleState: 'PROVISIONING',
      timeCreated: new Date().toISOString(),
      subnetId: String(vnic.subnetId ?? ''),
      nsgIds: (vnic.nsgIds ?? []) as string[],
      readsLeft: readsToRunning,
      bootVolumeId: ocid('bootvolume'),
      vnicId: ocid('vnic'),
      privateIpId: ocid('privateip'),
      privateIp: `10.0.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      publicIp: vnic.assignPublicIp === true ? `203.0.${Math.floor(n / 250)}.${(n % 250) + 2}` : null,
    };
  }

  function required(d: Json, field: string): string {
    const v = d[field];
    if (typeof v !== 'string' || v === '') throw new HttpError(400, 'InvalidParameter', `${field} is required.`);
    return v;
  }

  function recordsOf(zoneName: string): { id: string; compartmentId: string; records: FakeOciRecord[] } {
    const z = zones.get(zoneName) ?? [...zones.values()].find((x) => x.id === zoneName);
    if (!z) throw new HttpError(404, 'NotAuthorizedOrNotFound', `Zone ${zoneName} not found.`);
    return z;
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<{ status: number; json?: unknown }> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const q = url.searchParams;
    const parse = (): Json => {
      try {
        return JSON.parse(body) as Json;
      } catch {
        throw new HttpError(400, 'InvalidParameter', 'The request body is not valid JSON.');
      }
    };
    let m: RegExpMatchArray | null;

    // Core Services API: LaunchInstance (POST /20160918/instances), opc-retry-token honoured.
    if (method === 'POST' && path === '/20160918/instances') {
      const d = parse();
      const token = req.headers['opc-retry-token'];
      if (typeof token === 'string') {
        const prior = retryTokens.get(token);
        const found = prior ? instances.get(prior) : undefined;
        if (found) return { status: 200, json: view(found) };
      }
      const compartmentId = required(d, 'compartmentId');
      required(d, 'availabilityDomain');
      const shape = required(d, 'shape');
      const vnic = (d.createVnicDetails ?? {}) as Json;
      if (typeof vnic.subnetId !== 'string') throw new HttpError(400, 'InvalidParameter', 'createVnicDetails.subnetId is required.');
      const src = (d.sourceDetails ?? {}) as Json;
      if (src.sourceType !== 'image' || typeof src.imageId !== 'string')
        throw new HttpError(400, 'InvalidParameter', 'sourceDetails with sourceType image and imageId is required.');
      if (shape.endsWith('.Flex') && typeof (d.shapeConfig as Json | undefined)?.ocpus !== 'number') {
        throw new HttpError(400, 'InvalidParameter', `Shape ${shape} requires shapeConfig.ocpus.`);
      }
      const metadataBytes = Buffer.byteLength(JSON.stringify(d.metadata ?? {}), 'utf8') + Buffer.byteLength(JSON.stringify(d.extendedMetadata ?? {}), 'utf8');
      if (metadataBytes > METADATA_LIMIT)
        throw new HttpError(400, 'InvalidParameter', `The combined size of metadata and extendedMetadata exceeds ${METADATA_LIMIT} bytes.`);
      const instance = newInstance(d, compartmentId);
      instances.set(instance.id, instance);
      if (typeof token === 'string') retryTokens.set(token, instance.id);
      res.setHeader('etag', instance.id);
      return { status: 200, json: view(instance) };
    }
    // Core Services API: ListInstances (GET /20160918/instances?compartmentId&availabilityDomain&lifecycleState&displayName&limit&page).
    if (method === 'GET' && path === '/20160918/instances') {
      const compartmentId = q.get('compartmentId');
      if (!compartmentId) throw new HttpError(400, 'MissingParameter', 'compartmentId is required.');
      const ad = q.get('availabilityDomain');
      const state = q.get('lifecycleState');
      const name = q.get('displayName');
      const all = [...instances.values()].filter(
        (i) =>
          i.compartmentId === compartmentId &&
          (!ad || i.availabilityDomain === ad) &&
          (!state || i.lifecycleState === state) &&
          (!name || i.displayName === name),
      );
      const items = page(all, q, res);
      for (const i of items) advance(i);
      return { status: 200, json: items.map(view) };
    }
    // Core Services API: GetInstance / TerminateInstance (DELETE ?preserveBootVolume=false answers 204).
    if ((m = path.match(/^\/20160918\/instances\/([^/]+)$/))) {
      const instance = instances.get(decodeURIComponent(m[1] as string));
      if (!instance) throw new HttpError(404, 'NotAuthorizedOrNotFound', 'Authorization failed or requested resource not found.');
      if (method === 'GET') {
        advance(instance);
        return { status: 200, json: view(instance) };
      }
      if (method === 'DELETE') {
        if (instance.lifecycleState !== 'TERMINATED' && instance.lifecycleState !== 'TERMINATING') {
          instance.lifecycleState = 'TERMINATING';
          instance.readsLeft = readsToTerminated;
          instance.preserveBootVolume = q.get('preserveBootVolume') === 'true';
        }
        return { status: 204 };
      }
    }
    // Core Services API: ListVnicAttachments (GET /20160918/vnicAttachments?compartmentId&instanceId).
    if (method === 'GET' && path === '/20160918/vnicAttachments') {
      const compartmentId = q.get('compartmentId');
      const instanceId = q.get('instanceId');
      const all = [...instances.values()]
        .filter((i) => i.compartmentId === compartmentId && (!instanceId || i.id === instanceId) && i.lifecycleState !== 'TERMINATED')
        .map((i) => ({ id: `${i.vnicId}-attachment`, instanceId: i.id, vnicId: i.vnicId, subnetId: i.subnetId, lifecycleState: 'ATTACHED', compartmentId }));
      return { status: 200, json: page(all, q, res) };
    }
    // Core Services API: ListPrivateIps (GET /20160918/privateIps?subnetId | ?vnicId).
    if (method === 'GET' && path === '/20160918/privateIps') {
      const subnetId = q.get('subnetId');
      const vnicId = q.get('vnicId');
      if (!subnetId && !vnicId) throw new HttpError(400, 'MissingParameter', 'subnetId or vnicId is required.');
      const all = [...instances.values()]
        .filter((i) => i.lifecycleState !== 'TERMINATED' && (!subnetId || i.subnetId === subnetId) && (!vnicId || i.vnicId === vnicId))
        .map((i) => ({ id: i.privateIpId, ipAddress: i.privateIp, vnicId: i.vnicId, subnetId: i.subnetId, isPrimary: true }));
      return { status: 200, json: page(all, q, res) };
    }
    // Core Services API: ListPublicIps (GET /20160918/publicIps?scope=REGION&compartmentId&lifetime=EPHEMERAL).
    if (method === 'GET' && path === '/20160918/publicIps') {
      const compartmentId = q.get('compartmentId');
      if (!q.get('scope')) throw new HttpError(400, 'MissingParameter', 'scope is required.');
      const all = [...instances.values()]
        .filter((i) => i.compartmentId === compartmentId && i.publicIp !== null && i.lifecycleState !== 'TERMINATED')
        .map((i) => ({
          id: `${i.privateIpId}-public`,
          ipAddress: i.publicIp,
          assignedEntityId: i.privateIpId,
          assignedEntityType: 'PRIVATE_IP',
          lifetime: 'EPHEMERAL',
          scope: 'AVAILABILITY_DOMAIN',
        }));
      return { status: 200, json: page(all, q, res) };
    }
    // Core Services API: ListShapes (GET /20160918/shapes?compartmentId&availabilityDomain).
    if (method === 'GET' && path === '/20160918/shapes') {
      const all = (options.shapes ?? []).map((s) => ({
        shape: s.shape,
        ocpus: s.ocpus,
        memoryInGBs: s.memoryInGBs,
        gpus: s.gpus ?? 0,
        ...(s.defaultPerOcpuInGBs !== undefined ? { isFlexible: true, memoryOptions: { defaultPerOcpuInGBs: s.defaultPerOcpuInGBs } } : {}),
      }));
      return { status: 200, json: page(all, q, res) };
    }
    // DNS API: ListZones (GET /20180115/zones?compartmentId&name).
    if (method === 'GET' && path === '/20180115/zones') {
      const name = q.get('name');
      const all = [...zones.entries()]
        .filter(([n]) => !name || n === name)
        .map(([n, z]) => ({ name: n, id: z.id, zoneType: 'PRIMARY', compartmentId: z.compartmentId, lifecycleState: 'ACTIVE' }));
      return { status: 200, json: page(all, q, res, DNS_MAX_LIMIT) };
    }
    // DNS API: GetZoneRecords (GET /20180115/zones/{zone}/records?domain&rtype&limit&page).
    if (method === 'GET' && (m = path.match(/^\/20180115\/zones\/([^/]+)\/records$/))) {
      const z = recordsOf(decodeURIComponent(m[1] as string));
      const domain = q.get('domain');
      const rtype = q.get('rtype');
      const all = z.records
        .filter((r) => (!domain || r.domain === domain) && (!rtype || r.rtype === rtype))
        .map((r) => ({ ...r, isProtected: false, rrsetVersion: '1' }));
      return { status: 200, json: { items: page(all, q, res, DNS_MAX_LIMIT) } };
    }
    // DNS API: UpdateRRSet (PUT /20180115/zones/{zone}/records/{domain}/{rtype}) / DeleteRRSet (DELETE, 204).
    if ((m = path.match(/^\/20180115\/zones\/([^/]+)\/records\/([^/]+)\/([^/]+)$/))) {
      const z = recordsOf(decodeURIComponent(m[1] as string));
      const domain = decodeURIComponent(m[2] as string).toLowerCase();
      const rtype = decodeURIComponent(m[3] as string);
      if (method === 'PUT') {
        const d = parse();
        const items = (d.items ?? []) as Json[];
        for (const it of items) {
          if (String(it.domain).toLowerCase() !== domain || it.rtype !== rtype)
            throw new HttpError(400, 'InvalidParameter', 'Record domain and rtype must match the RRSet.');
          if (rtype === 'A' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(String(it.rdata)))
            throw new HttpError(400, 'InvalidParameter', `Invalid A rdata ${String(it.rdata)}.`);
        }
        z.records = z.records.filter((r) => !(r.domain === domain && r.rtype === rtype));
        const added = items.map((it) => ({ domain, rtype, rdata: String(it.rdata), ttl: Number(it.ttl ?? 300), recordHash: randomBytes(8).toString('hex') }));
        z.records.push(...added);
        return { status: 200, json: { items: added } };
      }
      if (method === 'DELETE') {
        z.records = z.records.filter((r) => !(r.domain === domain && r.rtype === rtype));
        return { status: 204 };
      }
    }
    throw new HttpError(404, 'NotAuthorizedOrNotFound', `No route for ${method} ${path}.`);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      const requestId = randomBytes(16).toString('hex').toUpperCase();
      res.setHeader('opc-request-id', requestId);
      res.setHeader('content-type', 'application/json');
      const call: FakeOciCall = { method, path: url.pathname, query: url.searchParams, status: 0 };
      const token = req.headers['opc-retry-token'];
      if (typeof token === 'string') call.retryToken = token;
      calls.push(call);
      const send = (status: number, json?: unknown): void => {
        call.status = status;
        res.statusCode = status;
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      void (async () => {
        try {
          authenticate(req, url.pathname, body);
          const fault = faults.find(
            (f) =>
              f.left > 0 &&
              (!f.method || f.method === method) &&
              (!f.path || (typeof f.path === 'string' ? url.pathname.includes(f.path) : f.path.test(url.pathname))),
          );
          if (fault) {
            fault.left--;
            const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
            if (fault.afterHandling) await route(req, res, url, body);
            throw new HttpError(fault.status, fault.code, fault.message ?? fault.code, headers);
          }
          const out = await route(req, res, url, body);
          send(out.status, out.json);
        } catch (error) {
          if (error instanceof HttpError) {
            for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
            send(error.status, { code: error.code, message: error.message });
          } else {
            send(500, { code: 'InternalError', message: error instanceof Error ? error.message : String(error) });
          }
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    instances,
    zones,
    calls,
    count: (method, path) => calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path))).length,
    inject: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    addForeign(compartmentId, tags = {}) {
      const i = newInstance(
        {
          availabilityDomain: 'Uocm:US-ASHBURN-AD-1',
          shape: 'VM.Standard.E4.Flex',
          createVnicDetails: { subnetId: 'ocid1.subnet.oc1..foreign' },
          freeformTags: tags,
        },
        compartmentId,
      );
      i.lifecycleState = 'RUNNING';
      instances.set(i.id, i);
      return i;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
