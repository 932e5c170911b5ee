// A stateful fake of the OpenStack subset poolform uses: Keystone v3 token
// issue (Identity API v3) and Nova servers + flavors (Compute API v2.1), in
// memory, as a real HTTP or HTTPS server on 127.0.0.1 (ephemeral port). Every
// handler names the API reference section it follows. Faithful where poolform
// depends on it:
// - POST /identity/v3/auth/tokens: password (user name + domain, project scope
//   by name + domain or by id) or application_credential {id, secret}; 201
//   with the token in X-Subject-Token and a catalog whose compute service has
//   public/internal endpoints in two regions (distinct URL prefixes, so tests
//   see which one was picked). Wrong credentials: 401 in Keystone's format.
// - Every Nova call needs a valid X-Auth-Token (401 otherwise); tokens can be
//   expired by fault injection (`expireTokens`).
// - Microversions: `OpenStack-API-Version: compute X.Y` (default 2.1, max
//   2.96); `networks` required from 2.37, `tags` in the create body from 2.52,
//   the `tags` list filter from 2.26, BDM `volume_type` from 2.67.
// - POST /servers: validates like Nova's schema (user_data base64 with
//   maxLength 65535, metadata keys/values ≤ 255, tags ≤ 60 characters without
//   , or /, at most 50), 202; the server is BUILD for `buildPolls` reads, then
//   ACTIVE with a fixed (and optionally floating) address, or ERROR with a
//   `fault` ("No valid host was found", injectable). A BDM image → volume
//   makes a volume, deleted with the server when delete_on_termination.
// - GET /servers/detail: `tags` (all of), `name` (regex), `limit` (≤ 1000,
//   Nova's default max_limit) and `marker`; `servers_links` rel=next when a
//   page is full. DELETE: task_state deleting for `deletePolls` reads, then gone.
// - Errors in Nova's format `{"<fault>": {"code", "message"}}`; fault
//   injection: the next N matching calls answer 413/429 overLimit with
//   Retry-After, 403 quota, 400, 500, 503, or accept a create and fail the
//   server with a fault.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type FaultMatch, readBodyText } from '../shared/faults.ts';

export type Json = Record<string, unknown>;

export interface FakeNovaServer {
  id: string;
  name: string;
  status: 'BUILD' | 'ACTIVE' | 'ERROR' | 'SHUTOFF';
  task_state: string | null;
  metadata: Record<string, string>;
  tags: string[];
  flavorRef: string;
  imageRef: string | null;
  user_data: string | null;
  networks: unknown;
  security_groups: string[];
  key_name: string | null;
  availability_zone: string | null;
  volumes: string[];
  fixedIp: string;
  floatingIp: string | null;
  created: string;
  reads: number;
  deleteReads: number;
  fault?: { code: number; message: string };
  body: Json;
}

export interface FakeVolume {
  id: string;
  size: number;
  volume_type: string | null;
  server: string | null;
  delete_on_termination: boolean;
}

/** `method`, `path` (matched against the path without the query; for Nova, below /v2.1) and `times`: shared/faults.ts. */
export interface OpenStackFault extends FaultMatch {
  /** HTTP status (default 429). */
  status?: number;
  /** Nova fault key (default from status: 400 badRequest, 403 forbidden, 413/429 overLimit, 500 computeFault, 503 serviceUnavailable). */
  fault?: string;
  message?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Accept the create, then put the server in ERROR with this fault message (e.g. "No valid host was found. ..."). */
  serverFault?: string;
  /** Do the call (create the server), then answer with the fault anyway: a lost answer. */
  afterEffect?: boolean;
}

export interface FakeOpenStackCall {
  method: string;
  path: string;
  /** e.g. `keystone.tokens`, `nova.servers.list`. */
  operation: string;
  status: number;
  /** The compute URL prefix used (`compute`, `compute-internal`, `compute-r2`). */
  prefix?: string;
  microversion?: string;
}

export interface FakeOpenStackOptions {
  /** Serve HTTPS with this certificate. */
  tls?: { cert: string; key: string };
  /** Reads of a new server that still show BUILD (default 1). */
  buildPolls?: number;
  /** Reads of a deleted server that still show it deleting (default 1). */
  deletePolls?: number;
  /** Give servers a floating IP. */
  floatingIps?: boolean;
  /** Largest page (Nova's max_limit, default 1000). */
  maxLimit?: number;
}

export const FAKE_USER = {
  name: 'poolform',
  domain: 'Default',
  password: 'user-pass-1',
  project: 'vdi',
  projectDomain: 'Default',
  projectId: '0123456789abcdef0123456789abcdef',
};
export const FAKE_APP_CRED = { id: 'appcred-0001', secret: 'appcred-secret-1' };
export const FAKE_FLAVORS = [
  { id: '1', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  { id: 'c4r16', name: 'm1.xlarge', vcpus: 4, ram: 16384, disk: 80 },
];
export const FAKE_IMAGE = '5d5f8c4e-1f2a-4b3c-9d8e-0a1b2c3d4e5f';
export const FAKE_NETWORK = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

export interface FakeOpenStack {
  readonly url: string;
  /** Keystone v3 base (http(s)://127.0.0.1:PORT/identity/v3). */
  readonly authUrl: string;
  readonly servers: Map<string, FakeNovaServer>;
  readonly volumes: Map<string, FakeVolume>;
  readonly calls: FakeOpenStackCall[];
  count(operation: string): number;
  inject(fault: OpenStackFault): void;
  clearFaults(): void;
  /** Every token issued so far answers 401 from now on (an expired or revoked token). */
  expireTokens(): void;
  /** Refuse every authentication (credentials revoked). */
  rejectAuth(on: boolean): void;
  /** A server made outside poolform. */
  putServerDirect(name: string, metadata?: Record<string, string>, tags?: string[]): FakeNovaServer;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly fault: string;
  readonly retryAfter: number | undefined;
  constructor(status: number, fault: string, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.fault = fault;
    this.retryAfter = retryAfter;
  }
}

function faultFor(status: number): string {
  switch (status) {
    case 400:
      return 'badRequest';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'itemNotFound';
    case 409:
      return 'conflictingRequest';
    case 413:
    case 429:
      return 'overLimit';
    case 503:
      return 'serviceUnavailable';
    default:
      return 'computeFault';
  }
}

function microversionOf(req: IncomingMessage): [number, number] {
  const header = req.headers['openstack-api-version'];
  const value = Array.isArray(header) ? header[0] : header;
  const m = /compute\s+(\d+)\.(\d+)/i.exec(value ?? '');
  if (!m) return [2, 1];
  const v: [number, number] = [Number(m[1]), Number(m[2])];
  if (v[0] !== 2 || v[1] > 96)
    throw new HttpError(406, 'notAcceptable', `Version ${v[0]}.${v[1]} is not supported by the API. Minimum is 2.1 and maximum is 2.96.`);
  return v;
}

const atLeast = (v: [number, number], minor: number): boolean => v[1] >= minor;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export async function startFakeOpenStack(options: FakeOpenStackOptions = {}): Promise<FakeOpenStack> {
  const buildPolls = options.buildPolls ?? 1;
  const deletePolls = options.deletePolls ?? 1;
  const maxLimit = options.maxLimit ?? 1000;
  const servers = new Map<string, FakeNovaServer>();
  const volumes = new Map<string, FakeVolume>();
  const tokens = new Map<string, { expired: boolean }>();
  const calls: FakeOpenStackCall[] = [];
  const faults = createFaultQueue<OpenStackFault>();
  let authRejected = false;
  let ipCounter = 10;
  let base = '';

  const novaServerView = (s: FakeNovaServer): Json => {
    const addresses: Json = {
      private: [
        { addr: s.fixedIp, version: 4, 'OS-EXT-IPS:type': 'fixed' },
        ...(s.floatingIp ? [{ addr: s.floatingIp, version: 4, 'OS-EXT-IPS:type': 'floating' }] : []),
      ],
    };
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      'OS-EXT-STS:task_state': s.task_state,
      metadata: s.metadata,
      tags: s.tags,
      addresses: s.status === 'ACTIVE' ? addresses : {},
      created: s.created,
      flavor: { original_name: FAKE_FLAVORS.find((f) => f.id === s.flavorRef)?.name ?? s.flavorRef },
      ...(s.fault ? { fault: { ...s.fault, created: s.created } } : {}),
      links: [{ rel: 'self', href: `${base}/compute/v2.1/servers/${s.id}` }],
    };
  };

  /** One read of a server: BUILD advances to ACTIVE/ERROR, a deleting server disappears (and takes its delete_on_termination volumes). */
  const advance = (s: FakeNovaServer): FakeNovaServer | undefined => {
    if (s.task_state === 'deleting') {
      if (s.deleteReads++ >= deletePolls) {
        servers.delete(s.id);
        for (const vid of s.volumes) {
          const v = volumes.get(vid);
          if (!v) continue;
          if (v.delete_on_termination) volumes.delete(vid);
          else v.server = null;
        }
        return undefined;
      }
      return s;
    }
    if (s.status === 'BUILD' && s.reads++ >= buildPolls) {
      if (s.fault) s.status = 'ERROR';
      else s.status = 'ACTIVE';
    }
    return s;
  };

  // Identity API v3: "Password authentication with scoped authorization" / "Authenticating with an Application Credential".
  const issueToken = (body: Json, res: ServerResponse): void => {
    const identity = ((body['auth'] as Json | undefined)?.['identity'] ?? {}) as Json;
    const methods = identity['methods'];
    let ok = false;
    let project = { id: FAKE_USER.projectId, name: FAKE_USER.project };
    if (Array.isArray(methods) && methods.includes('password')) {
      const user = ((identity['password'] as Json | undefined)?.['user'] ?? {}) as Json;
      const scope = (((body['auth'] as Json)['scope'] as Json | undefined)?.['project'] ?? {}) as Json;
      const userDomain = ((user['domain'] as Json | undefined)?.['name'] ?? '') as string;
      const scopeDomain = ((scope['domain'] as Json | undefined)?.['name'] ?? '') as string;
      const scoped = scope['id'] === FAKE_USER.projectId || (scope['name'] === FAKE_USER.project && scopeDomain === FAKE_USER.projectDomain);
      ok = user['name'] === FAKE_USER.name && userDomain === FAKE_USER.domain && user['password'] === FAKE_USER.password && scoped;
    } else if (Array.isArray(methods) && methods.includes('application_credential')) {
      const cred = (identity['application_credential'] ?? {}) as Json;
      ok = cred['id'] === FAKE_APP_CRED.id && cred['secret'] === FAKE_APP_CRED.secret && (body['auth'] as Json)['scope'] === undefined;
      project = { id: FAKE_USER.projectId, name: FAKE_USER.project };
    }
    if (!ok || authRejected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }));
      return;
    }
    const token = `gAAAA${randomBytes(24).toString('hex')}`;
    tokens.set(token, { expired: false });
    const endpoint = (prefix: string, iface: string, region: string): Json => ({
      id: randomUUID(),
      interface: iface,
      region,
      region_id: region,
      url: `${base}/${prefix}/v2.1`,
    });
    res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': token });
    res.end(
      JSON.stringify({
        token: {
          methods,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          issued_at: new Date().toISOString(),
          project: { ...project, domain: { id: 'default', name: 'Default' } },
          user: { id: 'u1', name: FAKE_USER.name, domain: { id: 'default', name: 'Default' } },
          catalog: [
            { type: 'identity', name: 'keystone', endpoints: [endpoint('identity', 'public', 'RegionOne')] },
            {
              type: 'compute',
              name: 'nova',
              endpoints: [
                endpoint('compute', 'public', 'RegionOne'),
                endpoint('compute-internal', 'internal', 'RegionOne'),
                endpoint('compute-r2', 'public', 'RegionTwo'),
              ],
            },
          ],
        },
      }),
    );
  };

  const operationOf = (method: string, path: string): string => {
    if (path.endsWith('/auth/tokens')) return 'keystone.tokens';
    if (/\/servers\/detail$/.test(path)) return 'nova.servers.list';
    if (/\/servers$/.test(path)) return method === 'POST' ? 'nova.servers.create' : 'nova.servers.list-brief';
    if (/\/servers\/[^/]+$/.test(path)) return method === 'DELETE' ? 'nova.servers.delete' : 'nova.servers.get';
    if (/\/flavors/.test(path)) return 'nova.flavors';
    return `${method} ${path}`;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const operation = operationOf(method, path);
    const call: FakeOpenStackCall = { method, path, operation, status: 0 };
    calls.push(call);
    const send = (status: number, body?: Json, headers: Record<string, string> = {}): void => {
      call.status = status;
      res.writeHead(status, { ...(body ? { 'content-type': 'application/json' } : {}), ...headers });
      res.end(body ? JSON.stringify(body) : undefined);
    };
    try {
      const raw = await readBodyText(req);
      const body = raw ? (JSON.parse(raw) as Json) : {};
      if (method === 'POST' && path === '/identity/v3/auth/tokens') {
        const fault = takeFault(method, path);
        if (fault && !fault.serverFault) throw faultError(fault);
        issueToken(body, res);
        call.status = res.statusCode;
        return;
      }
      const m = /^\/(compute|compute-internal|compute-r2)\/v2\.1(\/.*)$/.exec(path);
      if (!m) throw new HttpError(404, 'itemNotFound', `no route ${method} ${path}`);
      call.prefix = m[1];
      const rest = m[2] ?? '/';
      const tokenHeader = req.headers['x-auth-token'];
      const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
      const held = token ? tokens.get(token) : undefined;
      if (!held || held.expired) {
        call.status = 401;
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Keystone uri="${base}/identity/v3"` });
        res.end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }));
        return;
      }
      const version = microversionOf(req);
      call.microversion = `2.${version[1]}`;
      const fault = takeFault(method, rest);
      if (fault && !fault.serverFault && !fault.afterEffect) throw faultError(fault);

      // Compute API: Servers - "Create Server" (POST /servers).
      if (method === 'POST' && rest === '/servers') {
        const s = createServer(body, version);
        if (fault?.serverFault) s.fault = { code: 500, message: fault.serverFault };
        if (fault?.afterEffect) throw faultError(fault);
        send(202, {
          server: {
            id: s.id,
            links: [{ rel: 'self', href: `${base}/compute/v2.1/servers/${s.id}` }],
            'OS-DCF:diskConfig': 'MANUAL',
            security_groups: s.security_groups.map((n) => ({ name: n })),
          },
        });
        return;
      }
      // Compute API: Servers - "List Servers Detailed" (GET /servers/detail).
      if (method === 'GET' && rest === '/servers/detail') {
        send(200, listServers(url.searchParams, version, m[1] ?? 'compute'));
        return;
      }
      const one = /^\/servers\/([^/]+)$/.exec(rest);
      if (one) {
        const id = decodeURIComponent(one[1] ?? '');
        const s = servers.get(id);
        // Compute API: Servers - "Show Server Details" (GET /servers/{server_id}).
        if (method === 'GET') {
          const seen = s ? advance(s) : undefined;
          if (!seen) throw new HttpError(404, 'itemNotFound', `Instance ${id} could not be found.`);
          send(200, { server: novaServerView(seen) });
          return;
        }
        // Compute API: Servers - "Delete Server" (DELETE /servers/{server_id}): 204, deleted asynchronously.
        if (method === 'DELETE') {
          if (!s) throw new HttpError(404, 'itemNotFound', `Instance ${id} could not be found.`);
          s.task_state = 'deleting';
          send(204);
          return;
        }
      }
      // Compute API: Flavors - "List Flavors With Details" / "Show Flavor Details".
      if (method === 'GET' && rest === '/flavors/detail') {
        send(200, { flavors: FAKE_FLAVORS.map((f) => ({ ...f, links: [] })) });
        return;
      }
      const flavor = /^\/flavors\/([^/]+)$/.exec(rest);
      if (method === 'GET' && flavor) {
        const f = FAKE_FLAVORS.find((x) => x.id === decodeURIComponent(flavor[1] ?? ''));
        if (!f) throw new HttpError(404, 'itemNotFound', `Flavor ${flavor[1]} could not be found.`);
        send(200, { flavor: f });
        return;
      }
      throw new HttpError(404, 'itemNotFound', `no route ${method} ${rest}`);
    } catch (error) {
      if (error instanceof HttpError) {
        send(
          error.status,
          { [error.fault]: { code: error.status, message: error.message } },
          error.retryAfter !== undefined ? { 'retry-after': String(error.retryAfter) } : {},
        );
      } else if (error instanceof SyntaxError) {
        send(400, { badRequest: { code: 400, message: 'Malformed request body' } });
      } else {
        send(500, { computeFault: { code: 500, message: error instanceof Error ? error.message : String(error) } });
      }
    }
  };

  const takeFault = (method: string, path: string): OpenStackFault | undefined => faults.take(method, path);

  function faultError(f: OpenStackFault): HttpError {
    const status = f.status ?? 429;
    return new HttpError(
      status,
      f.fault ?? faultFor(status),
      f.message ?? (status === 429 || status === 413 ? 'This request was rate-limited.' : `injected ${status}`),
      f.retryAfter,
    );
  }

  function createServer(body: Json, version: [number, number]): FakeNovaServer {
    const server = body['server'] as Json | undefined;
    if (!server || typeof server !== 'object')
      throw new HttpError(400, 'badRequest', "Invalid input for field/attribute server. Value: None. 'server' is a required property");
    const name = server['name'];
    if (typeof name !== 'string' || name.length < 1 || name.length > 255) throw new HttpError(400, 'badRequest', 'Invalid input for field/attribute name.');
    const flavorRef = String(server['flavorRef'] ?? '');
    if (!FAKE_FLAVORS.some((f) => f.id === flavorRef)) throw new HttpError(400, 'badRequest', `Flavor ${flavorRef} could not be found.`);
    if (atLeast(version, 37) && server['networks'] === undefined)
      throw new HttpError(400, 'badRequest', "Invalid input for field/attribute server. 'networks' is a required property");
    const nets = server['networks'];
    if (Array.isArray(nets)) {
      for (const n of nets as Json[])
        if (n['uuid'] !== FAKE_NETWORK) throw new HttpError(400, 'badRequest', `Network ${String(n['uuid'])} could not be found.`);
    }
    const userData = server['user_data'];
    if (userData !== undefined) {
      if (typeof userData !== 'string' || !BASE64.test(userData))
        throw new HttpError(400, 'badRequest', "Invalid input for field/attribute user_data. Value: ... is not a 'base64'");
      if (userData.length > 65_535) throw new HttpError(400, 'badRequest', `Invalid input for field/attribute user_data. Value: ... is too long`);
    }
    const metadata = (server['metadata'] ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(metadata)) {
      if (k.length < 1 || k.length > 255 || typeof v !== 'string' || v.length > 255)
        throw new HttpError(400, 'badRequest', `Invalid input for field/attribute metadata. Value: ${k}`);
    }
    const tags = server['tags'];
    if (tags !== undefined) {
      if (!atLeast(version, 52))
        throw new HttpError(400, 'badRequest', "Invalid input for field/attribute server. Additional properties are not allowed ('tags' was unexpected)");
      if (!Array.isArray(tags) || tags.length > 50 || tags.some((t) => typeof t !== 'string' || t.length > 60 || /[,/]/.test(t))) {
        throw new HttpError(400, 'badRequest', 'Invalid input for field/attribute tags.');
      }
    }
    const bdms = (server['block_device_mapping_v2'] ?? []) as Json[];
    const imageRef = server['imageRef'];
    if (bdms.length === 0 && imageRef !== FAKE_IMAGE) throw new HttpError(400, 'badRequest', `Image ${String(imageRef)} could not be found.`);
    const id = randomUUID();
    const vols: string[] = [];
    for (const b of bdms) {
      if (b['source_type'] !== 'image' || b['uuid'] !== FAKE_IMAGE) throw new HttpError(400, 'badRequest', 'Block Device Mapping is Invalid: image not found.');
      if (b['volume_type'] !== undefined && !atLeast(version, 67))
        throw new HttpError(
          400,
          'badRequest',
          "Invalid input for field/attribute block_device_mapping_v2. Additional properties are not allowed ('volume_type' was unexpected)",
        );
      if (b['destination_type'] === 'volume') {
        if (typeof b['volume_size'] !== 'number')
          throw new HttpError(400, 'badRequest', 'Block Device Mapping is Invalid: You specified more local devices than the limit allows');
        const vid = randomUUID();
        volumes.set(vid, {
          id: vid,
          size: b['volume_size'],
          volume_type: (b['volume_type'] as string | undefined) ?? null,
          server: id,
          delete_on_termination: b['delete_on_termination'] === true,
        });
        vols.push(vid);
      }
    }
    const n = ipCounter++;
    const s: FakeNovaServer = {
      id,
      name,
      status: 'BUILD',
      task_state: null,
      metadata: metadata as Record<string, string>,
      tags: (tags as string[] | undefined) ?? [],
      flavorRef,
      imageRef: typeof imageRef === 'string' ? imageRef : null,
      user_data: typeof userData === 'string' ? userData : null,
      networks: nets,
      security_groups: ((server['security_groups'] ?? [{ name: 'default' }]) as Json[]).map((g) => String(g['name'])),
      key_name: typeof server['key_name'] === 'string' ? server['key_name'] : null,
      availability_zone: typeof server['availability_zone'] === 'string' ? server['availability_zone'] : null,
      volumes: vols,
      fixedIp: `10.0.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      floatingIp: options.floatingIps ? `203.0.113.${(n % 250) + 2}` : null,
      created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reads: 0,
      deleteReads: 0,
      body: server,
    };
    servers.set(id, s);
    return s;
  }

  function listServers(q: URLSearchParams, version: [number, number], prefix: string): Json {
    let list = [...servers.values()];
    const tags = q.get('tags');
    if (tags !== null) {
      if (!atLeast(version, 26)) throw new HttpError(400, 'badRequest', 'Invalid filter field: tags.');
      const want = tags.split(',').filter(Boolean);
      list = list.filter((s) => want.every((t) => s.tags.includes(t)));
    }
    const name = q.get('name');
    if (name !== null) {
      const re = new RegExp(name);
      list = list.filter((s) => re.test(s.name));
    }
    const marker = q.get('marker');
    if (marker !== null) {
      const i = list.findIndex((s) => s.id === marker);
      if (i < 0) throw new HttpError(400, 'badRequest', `marker [${marker}] not found`);
      list = list.slice(i + 1);
    }
    const limitText = q.get('limit');
    const limit = Math.min(maxLimit, limitText === null ? maxLimit : Number(limitText));
    if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, 'badRequest', 'limit must be a non-negative integer');
    const page = list.slice(0, limit);
    const visible = page.map((s) => advance(s)).filter((s): s is FakeNovaServer => s !== undefined);
    const out: Json = { servers: visible.map(novaServerView) };
    if (page.length === limit && list.length > 0 && page.length > 0) {
      const next = new URLSearchParams(q);
      next.set('limit', String(limit));
      next.set('marker', page[page.length - 1]?.id ?? '');
      out['servers_links'] = [{ rel: 'next', href: `${base}/${prefix}/v2.1/servers/detail?${next.toString()}` }];
    }
    return out;
  }

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => void handler(req, res))
    : createHttpServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url: base,
    authUrl: `${base}/identity/v3`,
    servers,
    volumes,
    calls,
    count: (operation) => calls.filter((c) => c.operation === operation).length,
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    expireTokens: () => {
      for (const t of tokens.values()) t.expired = true;
    },
    rejectAuth: (on) => {
      authRejected = on;
    },
    putServerDirect(name, metadata = {}, tags = []) {
      const id = randomUUID();
      const n = ipCounter++;
      const s: FakeNovaServer = {
        id,
        name,
        status: 'ACTIVE',
        task_state: null,
        metadata,
        tags,
        flavorRef: '1',
        imageRef: FAKE_IMAGE,
        user_data: null,
        networks: [{ uuid: FAKE_NETWORK }],
        security_groups: ['default'],
        key_name: null,
        availability_zone: null,
        volumes: [],
        fixedIp: `10.0.${Math.floor(n / 250)}.${(n % 250) + 2}`,
        floatingIp: null,
        created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        reads: 0,
        deleteReads: 0,
        body: {},
      };
      servers.set(id, s);
      return s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
