// A stateful fake of the DigitalOcean API v2 subset poolform uses, served over
// plain HTTP on 127.0.0.1 (ephemeral port; the provider's `api_url` points at
// it). In-memory state; every handler names the DigitalOcean API reference
// operation it follows (docs.digitalocean.com/reference/api/digitalocean/).
// Faithful where poolform depends on it:
// - `Authorization: Bearer <token>` on every call: 401 with the documented
//   error body `{"id":"unauthorized","message":"Unable to authenticate you."}`.
// - Rate-limit headers on every answer (`ratelimit-limit`,
//   `ratelimit-remaining`, `ratelimit-reset` as Unix seconds); 429
//   `{"id":"too_many_requests"}` when injected or when the budget is spent.
// - Droplets: create answers 202 with status `new`; a droplet turns `active`
//   (addresses assigned in `networks.v4`) after `readsToActive` reads of it.
//   Lists are paginated (`page`, `per_page` ≤ 200, `links.pages.next`) and
//   filtered by `tag_name`. Tags are validated (letters, digits, `:`, `-`,
//   `_`, ≤ 255 characters) and user_data is limited to 64 KiB (422).
// - Domains and domain records (paginated, `type`/`name` filters).
// - Fault injection: the next N matching calls answer a given status and
//   error body (429 with an optional Retry-After, 5xx, 422 capacity, 401).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type FaultMatch, readBodyText } from '../shared/faults.ts';

export type Json = Record<string, unknown>;

export interface FakeDroplet {
  id: number;
  name: string;
  region: string;
  size: string;
  image: string | number;
  tags: string[];
  status: 'new' | 'active' | 'off' | 'archive';
  created_at: string;
  vpc_uuid: string;
  user_data: string;
  ssh_keys: (string | number)[];
  /** Reads left before the droplet turns active. */
  readsLeft: number;
  /** Reads left before its tags show (Droplets - Create: tags are applied "after it is created"). */
  tagsPendingReads: number;
  private_ip: string;
  public_ip: string;
}

export interface FakeRecord {
  id: number;
  type: string;
  /** Relative name (`@` for the apex). */
  name: string;
  data: string;
  ttl: number;
}

/** Matching (method, path, times) is the shared fault queue's (../shared/faults.ts). */
export interface FakeDoFault extends FaultMatch {
  status: number;
  /** The error body's `id` (e.g. `too_many_requests`, `unprocessable_entity`). */
  id: string;
  message?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Perform the request, then answer with the fault (a 5xx after the droplet was made). */
  afterEffect?: boolean;
}

export interface FakeDoCall {
  method: string;
  path: string;
  /** e.g. `droplets.list`, `droplets.create`, `records.list`. */
  operation: string;
  status: number;
  query: string;
}

export interface FakeDoOptions {
  token?: string;
  /** Largest per_page honoured (DigitalOcean: 200). */
  maxPerPage?: number;
  /** Reads of a droplet before it is active (default 1). */
  readsToActive?: number;
  /** Reads of a new droplet during which its tags do not show yet (default 0: at once). */
  tagsAfterReads?: number;
  /** Domains that exist. */
  domains?: string[];
  /** ratelimit-limit (default 5000 per hour). */
  rateLimit?: number;
  /** Sizes the fake knows, with what they offer. */
  sizes?: { slug: string; vcpus: number; memory: number; gpus?: number; regions: string[] }[];
}

export interface FakeDigitalOcean {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly url: string;
  readonly token: string;
  readonly droplets: Map<number, FakeDroplet>;
  readonly records: Map<string, Map<number, FakeRecord>>;
  readonly calls: FakeDoCall[];
  inject(fault: FakeDoFault): void;
  clearFaults(): void;
  /** Calls with this operation label. */
  count(operation: string): number;
  /** Sets the remaining rate-limit budget (and seconds until reset). */
  setRateLimit(remaining: number, resetInSeconds?: number): void;
  /** Makes a droplet outside poolform. */
  putDroplet(over: Partial<FakeDroplet> & { name: string }): FakeDroplet;
  putRecord(domain: string, record: Omit<FakeRecord, 'id'>): FakeRecord;
  close(): Promise<void>;
}

/** DigitalOcean tag names: letters, numbers, colons, dashes and underscores, at most 255 characters (Tags - Create). */
const TAG_PATTERN = /^[A-Za-z0-9:_-]{1,255}$/;
/** Droplets - Create: user_data "must be plain text and may not exceed 64 KiB in size". */
export const FAKE_USER_DATA_LIMIT = 64 * 1024;

const DEFAULT_SIZES = [
  { slug: 's-2vcpu-4gb', vcpus: 2, memory: 4096, regions: ['nyc3', 'ams3', 'fra1'] },
  { slug: 's-4vcpu-8gb', vcpus: 4, memory: 8192, regions: ['nyc3', 'ams3', 'fra1'] },
  { slug: 'gpu-h100x1-80gb', vcpus: 20, memory: 245760, gpus: 1, regions: ['nyc2'] },
];

export async function startFakeDigitalOcean(options: FakeDoOptions = {}): Promise<FakeDigitalOcean> {
  const token = options.token ?? `dop_v1_${randomBytes(16).toString('hex')}`;
  const maxPerPage = options.maxPerPage ?? 200;
  const readsToActive = options.readsToActive ?? 1;
  const tagsAfterReads = options.tagsAfterReads ?? 0;
  const limit = options.rateLimit ?? 5000;
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const droplets = new Map<number, FakeDroplet>();
  const records = new Map<string, Map<number, FakeRecord>>();
  for (const d of options.domains ?? []) records.set(d.toLowerCase(), new Map());
  const calls: FakeDoCall[] = [];
  const faults = createFaultQueue<FakeDoFault>();
  let nextId = 300_000_000;
  let remaining = limit;
  let resetAt = Math.floor(Date.now() / 1000) + 3600;
  let url = '';

  const newDroplet = (over: Partial<FakeDroplet> & { name: string }): FakeDroplet => {
    const id = nextId++;
    const n = id % 250;
    const droplet: FakeDroplet = {
      id,
      region: 'nyc3',
      size: 's-2vcpu-4gb',
      image: 'ubuntu-24-04-x64',
      tags: [],
      status: 'new',
      created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      vpc_uuid: '5a4981aa-9653-4bd1-bef5-d6bff52042e4',
      user_data: '',
      ssh_keys: [],
      readsLeft: readsToActive,
      tagsPendingReads: 0,
      private_ip: `10.116.${Math.floor(id / 250) % 250}.${n + 2}`,
      public_ip: `203.0.${Math.floor(id / 250) % 250}.${n + 2}`,
      ...over,
    };
    droplets.set(id, droplet);
    return droplet;
  };

  /** Droplet JSON as the API returns it (Droplets - Retrieve an Existing Droplet). Reading counts toward activation. */
  const dropletJson = (d: FakeDroplet): Json => {
    if (d.status === 'new' && d.readsLeft-- <= 0) d.status = 'active';
    const tagsShown = d.tagsPendingReads <= 0;
    if (!tagsShown) d.tagsPendingReads--;
    const active = d.status !== 'new';
    return {
      id: d.id,
      name: d.name,
      memory: 4096,
      vcpus: 2,
      disk: 80,
      locked: false,
      status: d.status,
      created_at: d.created_at,
      features: ['private_networking'],
      image: { slug: typeof d.image === 'string' ? d.image : null, id: typeof d.image === 'number' ? d.image : 1 },
      size_slug: d.size,
      networks: active
        ? {
            v4: [
              { ip_address: d.private_ip, netmask: '255.255.240.0', gateway: '10.116.0.1', type: 'private' },
              { ip_address: d.public_ip, netmask: '255.255.240.0', gateway: '203.0.0.1', type: 'public' },
            ],
            v6: [],
          }
        : { v4: [], v6: [] },
      region: { slug: d.region, name: d.region },
      tags: tagsShown ? d.tags : [],
      vpc_uuid: d.vpc_uuid,
    };
  };

  const send = (res: ServerResponse, status: number, body?: Json, headers: Record<string, string> = {}): void => {
    res.setHeader('ratelimit-limit', String(limit));
    res.setHeader('ratelimit-remaining', String(Math.max(0, remaining)));
    res.setHeader('ratelimit-reset', String(resetAt));
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, id: string, message: string, headers: Record<string, string> = {}): void =>
    send(res, status, { id, message, request_id: randomBytes(8).toString('hex') }, headers);

  /** `links.pages` and the page slice (pagination: `page` from 1, `per_page` ≤ maxPerPage, default 20). */
  const paginate = <T>(items: T[], query: URLSearchParams, path: string): { page: T[]; links: Json; meta: Json } => {
    const perPage = Math.min(maxPerPage, Math.max(1, Number(query.get('per_page') ?? 20) || 20));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const at = (p: number): string => {
      const q = new URLSearchParams(query);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `${url}${path}?${q.toString()}`;
    };
    const pages: Json = {};
    if (page > 1) Object.assign(pages, { first: at(1), prev: at(page - 1) });
    if (page < last) Object.assign(pages, { next: at(page + 1), last: at(last) });
    return { page: items.slice((page - 1) * perPage, page * perPage), links: { pages }, meta: { total: items.length } };
  };

  const readBody = async (req: IncomingMessage): Promise<Json | undefined> => {
    const text = await readBodyText(req);
    if (text === '') return undefined;
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Json) : undefined;
  };

  const operationOf = (method: string, path: string): string => {
    if (path === '/v2/droplets') return method === 'GET' ? 'droplets.list' : 'droplets.create';
    if (/^\/v2\/droplets\/\d+$/.test(path)) return method === 'GET' ? 'droplets.get' : 'droplets.delete';
    if (path === '/v2/sizes') return 'sizes.list';
    if (path === '/v2/account') return 'account.get';
    if (path === '/v2/domains') return 'domains.list';
    if (/^\/v2\/domains\/[^/]+$/.test(path)) return 'domains.get';
    if (/^\/v2\/domains\/[^/]+\/records$/.test(path)) return method === 'GET' ? 'records.list' : 'records.create';
    if (/^\/v2\/domains\/[^/]+\/records\/\d+$/.test(path)) return `records.${method === 'DELETE' ? 'delete' : method === 'GET' ? 'get' : 'update'}`;
    return 'unknown';
  };

  async function handle(req: IncomingMessage, res: ServerResponse, call: FakeDoCall): Promise<void> {
    const method = req.method ?? 'GET';
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const path = parsed.pathname.replace(/\/$/, '');
    const query = parsed.searchParams;
    const finish = (status: number): void => {
      call.status = status;
    };

    if (req.headers.authorization !== `Bearer ${token}`) {
      finish(401);
      error(res, 401, 'unauthorized', 'Unable to authenticate you.');
      return;
    }
    remaining--;
    const fault = faults.take(method, path);
    const answerFault = (): void => {
      if (!fault) return;
      finish(fault.status);
      error(
        res,
        fault.status,
        fault.id,
        fault.message ?? fault.id.replaceAll('_', ' '),
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
      );
    };
    if (fault && !fault.afterEffect) return answerFault();
    if (remaining < 0) {
      finish(429);
      error(res, 429, 'too_many_requests', 'API Rate limit exceeded.');
      return;
    }
    const body = method === 'POST' || method === 'PUT' ? await readBody(req) : undefined;
    const ok = (status: number, json?: Json): void => {
      if (fault) {
        answerFault();
        return;
      }
      finish(status);
      send(res, status, json);
    };

    // Droplets - List All Droplets: GET /v2/droplets?tag_name=&page=&per_page=
    if (method === 'GET' && path === '/v2/droplets') {
      // `tag_name`, or `name` (exact, case-insensitive; not combinable with tag_name).
      const tag = query.get('tag_name');
      const name = query.get('name')?.toLowerCase();
      if (tag !== null && name !== undefined) {
        finish(422);
        return error(res, 422, 'unprocessable_entity', 'name can not be combined with tag_name');
      }
      const items = [...droplets.values()].filter(
        (d) => (tag === null || (d.tags.includes(tag) && d.tagsPendingReads <= 0)) && (name === undefined || d.name.toLowerCase() === name),
      );
      const { page, links, meta } = paginate(items, query, path);
      return ok(200, { droplets: page.map(dropletJson), links, meta });
    }
    // Droplets - Create a New Droplet: POST /v2/droplets → 202 {droplet, links.actions}
    if (method === 'POST' && path === '/v2/droplets') {
      const b = body ?? {};
      for (const field of ['name', 'region', 'size', 'image']) {
        if (b[field] === undefined || b[field] === '') {
          finish(422);
          return error(res, 422, 'unprocessable_entity', `${field} is required`);
        }
      }
      if (typeof b['name'] !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(b['name'])) {
        finish(422);
        return error(res, 422, 'unprocessable_entity', 'Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)');
      }
      const tags = Array.isArray(b['tags']) ? (b['tags'] as unknown[]).map(String) : [];
      const bad = tags.find((t) => !TAG_PATTERN.test(t));
      if (bad !== undefined) {
        finish(422);
        return error(res, 422, 'unprocessable_entity', `tag name ${bad} is invalid: only letters, numbers, colons, dashes and underscores are allowed`);
      }
      const userData = typeof b['user_data'] === 'string' ? b['user_data'] : '';
      if (Buffer.byteLength(userData, 'utf8') > FAKE_USER_DATA_LIMIT) {
        finish(422);
        return error(res, 422, 'unprocessable_entity', 'user_data is limited to 64 KiB');
      }
      const size = sizes.find((s) => s.slug === b['size']);
      if (!size) {
        finish(422);
        return error(res, 422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.');
      }
      if (!size.regions.includes(String(b['region']))) {
        finish(422);
        return error(res, 422, 'unprocessable_entity', 'Size is not available in this region.');
      }
      const d = newDroplet({
        name: b['name'],
        region: String(b['region']),
        size: String(b['size']),
        image: typeof b['image'] === 'number' ? b['image'] : String(b['image']),
        tags,
        user_data: userData,
        ssh_keys: Array.isArray(b['ssh_keys']) ? (b['ssh_keys'] as (string | number)[]) : [],
        ...(typeof b['vpc_uuid'] === 'string' ? { vpc_uuid: b['vpc_uuid'] } : {}),
      });
      const json = dropletJson(d);
      d.readsLeft++; // the create answer itself does not count as a read
      d.tagsPendingReads = tagsAfterReads;
      return ok(202, { droplet: json, links: { actions: [{ id: nextId++, rel: 'create', href: `${url}/v2/actions/${nextId}` }] } });
    }
    const dropletPath = /^\/v2\/droplets\/(\d+)$/.exec(path);
    if (dropletPath) {
      const d = droplets.get(Number(dropletPath[1]));
      if (!d) {
        finish(404);
        return error(res, 404, 'not_found', 'The resource you were accessing could not be found.');
      }
      // Droplets - Retrieve an Existing Droplet
      if (method === 'GET') return ok(200, { droplet: dropletJson(d) });
      // Droplets - Delete an Existing Droplet: 204
      if (method === 'DELETE') {
        droplets.delete(d.id);
        return ok(204);
      }
    }
    // Sizes - List All Droplet Sizes
    if (method === 'GET' && path === '/v2/sizes') {
      const items = sizes.map((s) => ({
        slug: s.slug,
        vcpus: s.vcpus,
        memory: s.memory,
        regions: s.regions,
        available: true,
        ...(s.gpus ? { gpu_info: { count: s.gpus } } : {}),
      }));
      const { page, links, meta } = paginate(items, query, path);
      return ok(200, { sizes: page, links, meta });
    }
    // Account - Get User Information
    if (method === 'GET' && path === '/v2/account') return ok(200, { account: { droplet_limit: 25, status: 'active', email_verified: true } });
    // Domains - List All Domains
    if (method === 'GET' && path === '/v2/domains') {
      const items = [...records.keys()].map((name) => ({ name, ttl: 1800, zone_file: '' }));
      const { page, links, meta } = paginate(items, query, path);
      return ok(200, { domains: page, links, meta });
    }
    const domainPath = /^\/v2\/domains\/([^/]+)(?:\/records(?:\/(\d+))?)?$/.exec(path);
    if (domainPath) {
      const domain = decodeURIComponent(domainPath[1] ?? '').toLowerCase();
      const zone = records.get(domain);
      if (!zone) {
        finish(404);
        return error(res, 404, 'not_found', 'The resource you were accessing could not be found.');
      }
      const isRecords = path.includes('/records');
      const recordId = domainPath[2];
      // Domains - Retrieve an Existing Domain
      if (!isRecords && method === 'GET') return ok(200, { domain: { name: domain, ttl: 1800 } });
      // Domain Records - List All Domain Records (?type=&name=<fqdn>)
      if (isRecords && recordId === undefined && method === 'GET') {
        const type = query.get('type');
        const name = query.get('name')?.toLowerCase();
        const items = [...zone.values()].filter((r) => (type === null || r.type === type) && (name === undefined || fqdnOf(r.name, domain) === name));
        const { page, links, meta } = paginate(items, query, path);
        return ok(200, { domain_records: page, links, meta });
      }
      // Domain Records - Create a New Domain Record: 201 {domain_record}
      if (isRecords && recordId === undefined && method === 'POST') {
        const b = body ?? {};
        const type = String(b['type'] ?? '');
        if (!['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS'].includes(type) || typeof b['name'] !== 'string' || typeof b['data'] !== 'string') {
          finish(422);
          return error(res, 422, 'unprocessable_entity', 'Type, name and data are required');
        }
        if (type === 'A' && !/^\d+\.\d+\.\d+\.\d+$/.test(b['data'])) {
          finish(422);
          return error(res, 422, 'unprocessable_entity', 'Data needs to be a valid IPv4 address');
        }
        const name = b['name'].toLowerCase();
        if ([...zone.values()].some((r) => r.name === name && (r.type === 'CNAME') !== (type === 'CNAME'))) {
          finish(422);
          return error(res, 422, 'unprocessable_entity', 'CNAME records cannot share a name with other records.');
        }
        const record: FakeRecord = { id: nextId++, type, name, data: b['data'], ttl: typeof b['ttl'] === 'number' ? b['ttl'] : 1800 };
        zone.set(record.id, record);
        return ok(201, { domain_record: record });
      }
      if (recordId !== undefined) {
        const record = zone.get(Number(recordId));
        if (!record) {
          finish(404);
          return error(res, 404, 'not_found', 'The resource you were accessing could not be found.');
        }
        // Domain Records - Retrieve an Existing Domain Record
        if (method === 'GET') return ok(200, { domain_record: record });
        // Domain Records - Update a Domain Record (PUT/PATCH)
        if (method === 'PUT' || method === 'PATCH') {
          const b = body ?? {};
          if (typeof b['data'] === 'string') record.data = b['data'];
          if (typeof b['ttl'] === 'number') record.ttl = b['ttl'];
          if (typeof b['name'] === 'string') record.name = b['name'].toLowerCase();
          return ok(200, { domain_record: record });
        }
        // Domain Records - Delete a Domain Record: 204
        if (method === 'DELETE') {
          zone.delete(record.id);
          return ok(204);
        }
      }
    }
    finish(404);
    error(res, 404, 'not_found', `no route for ${method} ${path}`);
  }

  const server: Server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const path = parsed.pathname.replace(/\/$/, '');
    const call: FakeDoCall = { method: req.method ?? 'GET', path, operation: operationOf(req.method ?? 'GET', path), status: 0, query: parsed.search };
    calls.push(call);
    handle(req, res, call).catch((e: unknown) => {
      call.status = 500;
      if (!res.headersSent) error(res, 500, 'server_error', e instanceof Error ? e.message : String(e));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    droplets,
    records,
    calls,
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    count: (operation) => calls.filter((c) => c.operation === operation).length,
    setRateLimit: (left, resetInSeconds = 3600) => {
      remaining = left;
      resetAt = Math.floor(Date.now() / 1000) + resetInSeconds;
    },
    putDroplet: (over) => {
      const d = newDroplet({ status: 'active', ...over });
      return d;
    },
    putRecord: (domain, record) => {
      const zone = records.get(domain.toLowerCase());
      if (!zone) throw new Error(`no domain ${domain}`);
      const r = { id: nextId++, ...record };
      zone.set(r.id, r);
      return r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A record's fully qualified name (`@` is the apex). */
export function fqdnOf(name: string, domain: string): string {
  return name === '@' ? domain : `${name}.${domain}`;
}
