// A stateful fake of the Proxmox VE API subset poolform uses, in memory, as a
// real HTTP or HTTPS server on 127.0.0.1 (ephemeral port). Paths are those of
// the PVE API viewer (https://pve.proxmox.com/pve-docs/api-viewer/), below
// /api2/json. Faithful where poolform depends on it:
// - Auth: every call needs `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`
//   (PVE "API Tokens"); a wrong or missing token is 401 with an empty
//   `{"data":null}` body and the reason in the status line, like pveproxy.
// - Request bodies: JSON or form-encoded, at most 64 KiB (413 above).
// - Answers are `{"data": ...}`; failures `{"data": null}` plus, for parameter
//   errors, `{"errors": {"<param>": "<why>"}}` with status 400, and the message
//   in the HTTP reason phrase (and a `message` field, as newer pveproxy adds).
// - Worker tasks: clone, config (POST), start, stop and delete answer a UPID
//   (`UPID:node:pid:pstart:starttime:type:id:user:`) at once; the task is
//   `running` for `taskPolls` reads of its status, then `stopped` with
//   `exitstatus` "OK" or the failure text. The VM is locked (`lock: clone`)
//   while its clone task runs, and a failed clone removes the VM, as
//   qemu-server does.
// - /cluster/nextid hands out the lowest free id >= 100 without reserving it:
//   two concurrent callers get the same id and the second clone fails with
//   "VM <id> already exists" (the race PVE documents); `stealNextIds` makes
//   another client take the id just handed out.
// - Guest agent (`agent: 1` in the config and the VM running, after
//   `agentPolls` pings): ping, file-write, exec, network-get-interfaces (an
//   eth0 IPv4 address after `ipPolls` loopback-only answers).
// - Fault injection: the next N matching calls answer a status (500, 503, 401,
//   596 timeout), or a task fails with a text (e.g. "No space left on device").
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFaultQueue, type FaultMatch, readBodyText } from '../shared/faults.ts';

export const FAKE_NODE = 'pve1';
export const FAKE_TEMPLATE = 9000;
export const FAKE_TOKEN = { id: 'poolform@pve!pf', secret: '5e0c1d2e-aaaa-4bbb-8ccc-0123456789ab' };

export interface FakeVm {
  vmid: number;
  node: string;
  name: string;
  template: boolean;
  status: 'running' | 'stopped';
  tags: string;
  description: string;
  cores: number;
  memory: number;
  agent: boolean;
  pool: string | null;
  lock: string | null;
  /** The disks of the VM (a full clone copies the template's; linked shares its base). */
  disks: string[];
  /** Files written by the guest agent. */
  files: Map<string, string>;
  execs: string[][];
  pings: number;
  ip: string;
  /** Storage a full clone went to (null: linked clone). */
  storage: string | null;
}

export interface FakeTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  reads: number;
  /** What the task does when it finishes: returns the failure text, or undefined for OK. */
  finish: () => string | undefined;
  exitstatus?: string;
}

export interface ProxmoxFault extends FaultMatch {
  /** HTTP status of the answer (default 500). */
  status?: number;
  message?: string;
  /** Accept the call, then let its task fail with this text. */
  taskError?: string;
  /** Seconds, sent as Retry-After (as a proxy in front of pveproxy would with 429/503). */
  retryAfter?: number;
}

export interface FakeProxmoxOptions {
  tls?: { cert: string; key: string };
  /** Status reads before a task stops (default 1). */
  taskPolls?: number;
  /** Pings that fail (agent not yet up) before the agent answers (default 1). */
  agentPolls?: number;
  /** network-get-interfaces answers with loopback only this many times before eth0 has its address (DHCP; default 0). */
  ipPolls?: number;
  /** Per-call latency (ms) of the clone request, to widen the nextid race in tests (default 0). */
  cloneDelayMs?: number;
}

export interface FakeProxmox {
  baseUrl: string;
  vms: Map<number, FakeVm>;
  tasks: Map<string, FakeTask>;
  /** Calls by `METHOD /path-pattern` (ids replaced by {vmid}/{upid}). */
  calls: Map<string, number>;
  inject(fault: ProxmoxFault): void;
  /** The next `n` /cluster/nextid answers are taken by another client right after they are handed out. */
  stealNextIds(n: number): void;
  /** A VM that is not poolform's (another tool, a person). */
  putVmDirect(vmid: number, over?: Partial<FakeVm>): FakeVm;
  callCount(key: string): number;
  resetCalls(): void;
  close(): Promise<void>;
}

function emptyVm(vmid: number, over: Partial<FakeVm> = {}): FakeVm {
  return {
    vmid,
    node: FAKE_NODE,
    name: `vm-${vmid}`,
    template: false,
    status: 'stopped',
    tags: '',
    description: '',
    cores: 2,
    memory: 4096,
    agent: false,
    pool: null,
    lock: null,
    disks: [`local-lvm:vm-${vmid}-disk-0`],
    files: new Map(),
    execs: [],
    pings: 0,
    ip: `10.0.${Math.floor(vmid / 250) % 250}.${(vmid % 250) + 2}`,
    storage: null,
    ...over,
  };
}

/** Form (application/x-www-form-urlencoded, what pvesh and most clients send) or JSON body. */
function parseBody(text: string, contentType: string | undefined): Record<string, string | string[]> {
  if (text === '') return {};
  if ((contentType ?? '').includes('json')) {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = Array.isArray(v) ? v.map(String) : String(v);
    return out;
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

const TAG_RE = /^[a-z0-9_][a-z0-9_+.-]*$/i;

export async function startFakeProxmox(options: FakeProxmoxOptions = {}): Promise<FakeProxmox> {
  const vms = new Map<number, FakeVm>();
  const tasks = new Map<string, FakeTask>();
  const calls = new Map<string, number>();
  const faults = createFaultQueue<ProxmoxFault>();
  const taskPolls = options.taskPolls ?? 1;
  const agentPolls = options.agentPolls ?? 1;
  const ipPolls = options.ipPolls ?? 0;
  const ipReads = new Map<number, number>();
  let steal = 0;
  let pid = 0x1000;

  vms.set(FAKE_TEMPLATE, emptyVm(FAKE_TEMPLATE, { name: 'ubuntu-24-04-tmpl', template: true, disks: ['local-lvm:base-9000-disk-0'] }));

  function newTask(node: string, type: string, id: string, finish: () => string | undefined): string {
    pid++;
    const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
    const upid = `UPID:${node}:${hex(pid, 8)}:${hex(pid * 7, 8)}:${hex(Math.floor(Date.now() / 1000), 8)}:${type}:${id}:${FAKE_TOKEN.id}:`;
    tasks.set(upid, { upid, node, type, id, reads: 0, finish });
    return upid;
  }

  const nextFree = (): number => {
    let id = 100;
    while (vms.has(id)) id++;
    return id;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/^\/api2\/json/, '');
    const key = `${method} ${path.replace(/\/qemu\/\d+/, '/qemu/{vmid}').replace(/\/tasks\/[^/]+/, '/tasks/{upid}')}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const bodyText = await readBodyText(req);
    // pveproxy: request bodies above 64 KiB are refused.
    if (Buffer.byteLength(bodyText) > 64 * 1024) {
      res.writeHead(413, 'Request Entity Too Large', { 'content-type': 'application/json' });
      res.end('{"data":null}');
      return;
    }

    const send = (status: number, body: unknown, reason?: string, extra: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, reason?.replace(/[^\x20-\x7e]/g, ' ') ?? '', {
        'content-type': 'application/json;charset=UTF-8',
        'content-length': Buffer.byteLength(text),
        ...extra,
      });
      res.end(text);
    };
    const ok = (data: unknown): void => send(200, { data });
    const fail = (status: number, message: string, errors?: Record<string, string>): void =>
      send(status, { data: null, message: `${message}\n`, ...(errors ? { errors } : {}) }, message);

    // PVE API tokens: Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET (or with a space instead of `=` after the prefix).
    const auth = req.headers.authorization ?? '';
    if (auth !== `PVEAPIToken=${FAKE_TOKEN.id}=${FAKE_TOKEN.secret}` && auth !== `PVEAPIToken ${FAKE_TOKEN.id}=${FAKE_TOKEN.secret}`) {
      send(401, { data: null }, 'authentication failure');
      return;
    }
    const fault = faults.take(method, path);
    if (fault && fault.taskError === undefined) {
      const message = fault.message ?? 'internal error';
      const retryAfter = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : undefined;
      send(fault.status ?? 500, { data: null, message: `${message}\n` }, message, retryAfter);
      return;
    }
    let body: Record<string, string | string[]>;
    try {
      body = parseBody(bodyText, req.headers['content-type']);
    } catch {
      fail(400, 'invalid JSON body');
      return;
    }
    const str = (name: string): string | undefined => {
      const v = body[name] ?? url.searchParams.get(name) ?? undefined;
      return Array.isArray(v) ? v[0] : v;
    };

    // GET /cluster/nextid: "Get next free VMID" (not reserved: callers race).
    if (method === 'GET' && path === '/cluster/nextid') {
      const id = nextFree();
      if (steal > 0) {
        steal--;
        vms.set(id, emptyVm(id, { name: `other-${id}` }));
      }
      ok(String(id));
      return;
    }

    // GET /cluster/resources?type=vm: "Resources index (cluster wide)"; tags as a `;` string, no description.
    if (method === 'GET' && path === '/cluster/resources') {
      const type = url.searchParams.get('type');
      if (type !== null && type !== 'vm') {
        fail(400, 'Parameter verification failed.', { type: 'value is not one of the allowed values' });
        return;
      }
      ok(
        [...vms.values()].map((vm) => ({
          id: `qemu/${vm.vmid}`,
          type: 'qemu',
          vmid: vm.vmid,
          name: vm.name,
          node: vm.node,
          status: vm.status,
          template: vm.template ? 1 : 0,
          maxcpu: vm.cores,
          maxmem: vm.memory * 1024 * 1024,
          uptime: vm.status === 'running' ? 60 : 0,
          ...(vm.tags !== '' ? { tags: vm.tags } : {}),
          ...(vm.pool ? { pool: vm.pool } : {}),
          ...(vm.lock ? { lock: vm.lock } : {}),
        })),
      );
      return;
    }

    // GET /nodes/{node}/tasks/{upid}/status: "Read task status".
    let m = /^\/nodes\/([^/]+)\/tasks\/([^/]+)\/status$/.exec(path);
    if (method === 'GET' && m) {
      const task = tasks.get(decodeURIComponent(m[2] ?? ''));
      if (!task || task.node !== m[1]) {
        fail(500, `no such task`);
        return;
      }
      task.reads++;
      if (task.exitstatus === undefined && task.reads > taskPolls) task.exitstatus = task.finish() ?? 'OK';
      ok({
        upid: task.upid,
        node: task.node,
        type: task.type,
        id: task.id,
        user: FAKE_TOKEN.id,
        status: task.exitstatus === undefined ? 'running' : 'stopped',
        ...(task.exitstatus !== undefined ? { exitstatus: task.exitstatus } : {}),
      });
      return;
    }

    m = /^\/nodes\/([^/]+)\/qemu\/(\d+)(\/.*)?$/.exec(path);
    if (!m) {
      fail(501, `Method '${method} ${path}' not implemented`);
      return;
    }
    const node = m[1] ?? '';
    const vmid = Number(m[2]);
    const rest = m[3] ?? '';
    const vm = vms.get(vmid);
    if (!vm || vm.node !== node) {
      fail(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`);
      return;
    }

    // POST /nodes/{node}/qemu/{vmid}/clone: "Create a copy of virtual machine/template".
    if (method === 'POST' && rest === '/clone') {
      const newid = Number(str('newid'));
      if (!Number.isInteger(newid) || newid < 100) {
        fail(400, 'Parameter verification failed.', { newid: 'invalid format - value must be an integer >= 100' });
        return;
      }
      const full = str('full') === '1' || str('full') === 'true' || !vm.template;
      if (str('storage') !== undefined && !full) {
        fail(400, 'Parameter verification failed.', { storage: 'option is only allowed for full clones' });
        return;
      }
      if (options.cloneDelayMs) await new Promise((r) => setTimeout(r, options.cloneDelayMs));
      if (vms.has(newid)) {
        fail(500, `VM ${newid} already exists on node '${vms.get(newid)?.node}'`);
        return;
      }
      const name = str('name') ?? `Copy-of-VM-${vm.name}`;
      const storage = full ? (str('storage') ?? 'local-lvm') : null;
      const clone = emptyVm(newid, {
        node,
        name,
        cores: vm.cores,
        memory: vm.memory,
        pool: str('pool') ?? null,
        lock: 'clone',
        storage,
        disks: [`${storage ?? 'local-lvm'}:${full ? '' : `base-${vmid}-disk-0/`}vm-${newid}-disk-0`],
      });
      vms.set(newid, clone);
      const upid = newTask(node, 'qmclone', String(vmid), () => {
        if (fault?.taskError !== undefined) {
          vms.delete(newid);
          return fault.taskError;
        }
        clone.lock = null;
        return undefined;
      });
      ok(upid);
      return;
    }

    // POST /nodes/{node}/qemu/{vmid}/config: "Set virtual machine options (asynchrounous API)".
    if (method === 'POST' && rest === '/config') {
      if (vm.lock) {
        fail(500, `VM is locked (${vm.lock})`);
        return;
      }
      const tags = str('tags');
      if (tags !== undefined) {
        const bad = tags.split(/[;, ]/).filter((t) => t !== '' && !TAG_RE.test(t));
        if (bad.length > 0) {
          fail(400, 'Parameter verification failed.', { tags: `invalid format - invalid tag '${bad[0]}'` });
          return;
        }
      }
      const upid = newTask(node, 'qmconfig', String(vmid), () => {
        if (fault?.taskError !== undefined) return fault.taskError;
        if (tags !== undefined)
          vm.tags = tags
            .split(/[;, ]/)
            .filter((t) => t !== '')
            .join(';');
        const d = str('description');
        if (d !== undefined) vm.description = d;
        const c = str('cores');
        if (c !== undefined) vm.cores = Number(c);
        const mem = str('memory');
        if (mem !== undefined) vm.memory = Number(mem);
        const a = str('agent');
        if (a !== undefined) vm.agent = a.startsWith('1') || a.includes('enabled=1');
        return undefined;
      });
      ok(upid);
      return;
    }

    // POST /nodes/{node}/qemu/{vmid}/status/start and /status/stop: "Start virtual machine" / "Stop virtual machine".
    if (method === 'POST' && (rest === '/status/start' || rest === '/status/stop')) {
      const start = rest === '/status/start';
      if (vm.lock) {
        fail(500, `VM is locked (${vm.lock})`);
        return;
      }
      if (vm.template && start) {
        fail(500, "you can't start a vm if it's a template");
        return;
      }
      const upid = newTask(node, start ? 'qmstart' : 'qmstop', String(vmid), () => {
        if (fault?.taskError !== undefined) return fault.taskError;
        vm.status = start ? 'running' : 'stopped';
        vm.pings = 0;
        return undefined;
      });
      ok(upid);
      return;
    }

    // DELETE /nodes/{node}/qemu/{vmid}: "Destroy the VM and all used/owned volumes" (purge, destroy-unreferenced-disks).
    if (method === 'DELETE' && rest === '') {
      if (vm.status === 'running') {
        fail(500, `VM ${vmid} is running - destroy failed`);
        return;
      }
      if (vm.lock) {
        fail(500, `VM is locked (${vm.lock})`);
        return;
      }
      const upid = newTask(node, 'qmdestroy', String(vmid), () => {
        if (fault?.taskError !== undefined) return fault.taskError;
        vms.delete(vmid);
        return undefined;
      });
      ok(upid);
      return;
    }

    // Guest agent: POST .../agent/ping, POST .../agent/file-write, POST .../agent/exec, GET .../agent/network-get-interfaces.
    if (rest.startsWith('/agent/')) {
      if (vm.status !== 'running') {
        fail(500, `VM ${vmid} is not running`);
        return;
      }
      if (!vm.agent) {
        fail(500, 'No QEMU guest agent configured');
        return;
      }
      const command = rest.slice('/agent/'.length);
      if (command === 'ping' && method === 'POST') {
        vm.pings++;
        if (vm.pings <= agentPolls) {
          fail(500, 'QEMU guest agent is not running');
          return;
        }
        ok({});
        return;
      }
      if (vm.pings <= agentPolls) {
        fail(500, 'QEMU guest agent is not running');
        return;
      }
      if (command === 'file-write' && method === 'POST') {
        const file = str('file');
        const content = str('content') ?? '';
        // PVE API schema: content maxLength 60 KiB.
        if (content.length > 61_440) {
          fail(400, 'Parameter verification failed.', { content: 'value may only be 61440 characters long' });
          return;
        }
        if (!file) {
          fail(400, 'Parameter verification failed.', { file: 'property is missing and it is not optional' });
          return;
        }
        const encode = str('encode');
        vm.files.set(file, encode === '0' ? Buffer.from(content, 'base64').toString('utf8') : content);
        ok(null);
        return;
      }
      if (command === 'exec' && method === 'POST') {
        const raw = body.command;
        const argv = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
        if (argv.length === 0) {
          fail(400, 'Parameter verification failed.', { command: 'property is missing and it is not optional' });
          return;
        }
        vm.execs.push(argv);
        ok({ pid: 1000 + vm.execs.length });
        return;
      }
      if (command === 'network-get-interfaces' && method === 'GET') {
        const reads = (ipReads.get(vmid) ?? 0) + 1;
        ipReads.set(vmid, reads);
        if (reads <= ipPolls) {
          ok({ result: [{ name: 'lo', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }] }] });
          return;
        }
        ok({
          result: [
            { name: 'lo', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }] },
            {
              name: 'eth0',
              'hardware-address': 'bc:24:11:00:00:01',
              'ip-addresses': [
                { 'ip-address-type': 'ipv4', 'ip-address': vm.ip, prefix: 24 },
                { 'ip-address-type': 'ipv6', 'ip-address': 'fe80::1', prefix: 64 },
              ],
            },
          ],
        });
        return;
      }
    }
    fail(501, `Method '${method} ${path}' not implemented`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: null, message: String(error) }));
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/api2/json`,
    vms,
    tasks,
    calls,
    inject: (fault) => faults.inject(fault),
    stealNextIds(n) {
      steal += n;
    },
    putVmDirect(vmid, over = {}) {
      const vm = emptyVm(vmid, over);
      vms.set(vmid, vm);
      return vm;
    },
    callCount: (key) => calls.get(key) ?? 0,
    resetCalls: () => calls.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
