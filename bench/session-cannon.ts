// Shared by the session benchmarks (api.bench.ts, replicas.bench.ts): the
// bench configuration, seeding servers into a store, serving a fetch handler
// on a free loopback port, and the autocannon load (each virtual user creates
// a session, then deletes it).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import autocannon from 'autocannon';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { ServerRecord, StateStore } from '../src/state/types.ts';
import { serverRecord } from '../test/fixtures/plan/builders.ts';

export const KEY = 'bench-key-0123456789abcdef';
export const CONNECTIONS = 10;
export const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5);

/** One server pool, `servers` autoscaled servers' worth of room, API key from BENCH_API_KEY. */
export function benchConfigYaml(servers: number, settings = ''): string {
  return `kind: Settings
api_keys:
  - name: bench
    secret: \${env:BENCH_API_KEY}
${settings}---
kind: VmProvider
name: local
type: local
max_instances: ${servers}
startup_script: "true"
---
kind: Pool
name: bench
type: server
autoscale:
  - name: a
    vm_provider: local
    connection_type: rdp
    connection_port: 3389
    connection_username: "{sso_username}"
`;
}

/** `count` running servers of two slots each (pool bench, autoscale config a). */
export function benchServers(count: number): ServerRecord[] {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(t0 + i * 1000).toISOString();
    const id = `bench${String(i).padStart(5, '0')}`;
    return serverRecord(id, { pool: 'bench', autoscale: 'a', address: `vm.bench.a.${id}`, hostname: id, created_at: at, updated_at: at, checked_in_at: at });
  });
}

/** Puts `count` running servers of two slots each into the store. */
export async function addServers(store: StateStore, count: number): Promise<void> {
  for (const server of benchServers(count)) await store.putServer(server);
}

/** The baseline of the session benchmarks: a bare Hono handler answering the same two requests with no work behind them. */
export function bareSessionApp(): Hono {
  const bare = new Hono();
  let n = 0;
  bare.post('/api/v1/sessions', (c) => c.json({ id: `s${++n}`, status: 'running' }, 201));
  bare.delete('/api/v1/sessions/:id', (c) => c.json({ id: c.req.param('id'), status: 'ended' }));
  return bare;
}

/** One create+delete through the app, so that its first request (capacity index build) is not measured. */
export async function warmUp(url: string): Promise<void> {
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const res = await fetch(`${url}/api/v1/sessions`, { method: 'POST', headers, body: JSON.stringify({ pool: 'bench', user: 'warm-up' }) });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || body.id === undefined) throw new Error(`warm-up request answered ${res.status}`);
  await (await fetch(`${url}/api/v1/sessions/${body.id}`, { method: 'DELETE', headers })).arrayBuffer();
}

export async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve({ server: s as Server, url: `http://127.0.0.1:${info.port}` }));
  });
}

export interface Result {
  rps: number;
  pairsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /**
   * CPU microseconds of this process per request. With server and load
   * generator in one process this is the cost of a request on an idle machine
   * (both run on one thread), so its ratios hold where wall-clock rates do
   * not: on a machine shared with other work, req/s swing with the load.
   */
  cpuUsPerRequest?: number;
}

export async function cannon(url: string, title: string, connections = CONNECTIONS): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const r = await autocannon({
    url,
    title,
    connections,
    duration: DURATION_S,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/api/v1/sessions',
        body: JSON.stringify({ pool: 'bench', user: 'bench-user' }),
        onResponse: (status, body, context) => {
          const ctx = context as { id?: string };
          ctx.id = status === 201 ? String((JSON.parse(body) as { id?: unknown }).id) : undefined;
        },
      },
      {
        method: 'DELETE',
        setupRequest: (req, context) => {
          const id = (context as { id?: string }).id;
          // No session: skip the delete and start over.
          return id ? { ...req, path: `/api/v1/sessions/${id}` } : (undefined as unknown as typeof req);
        },
      },
    ],
  });
  return {
    rps: r.requests.average,
    pairsPerSec: r.requests.average / 2,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuUsPerRequest: cpuPerRequest(process.cpuUsage(cpu0), r.requests.total),
  };
}

/** CPU time of this process (server and load generator both, when in-process) per request answered. */
function cpuPerRequest(used: NodeJS.CpuUsage, requests: number): number {
  return requests > 0 ? (used.user + used.system) / requests : 0;
}

/** One autocannon per URL at once (connections split evenly), merged: rates add up, p50 averages, p99 is the worst. */
export async function cannonAll(urls: readonly string[], title: string): Promise<Result> {
  const parts = await Promise.all(urls.map((u, i) => cannon(u, `${title} #${i + 1}`, Math.max(1, Math.round(CONNECTIONS / urls.length)))));
  return {
    rps: parts.reduce((n, r) => n + r.rps, 0),
    pairsPerSec: parts.reduce((n, r) => n + r.pairsPerSec, 0),
    p50: parts.reduce((n, r) => n + r.p50, 0) / parts.length,
    p99: Math.max(...parts.map((r) => r.p99)),
    non2xx: parts.reduce((n, r) => n + r.non2xx, 0),
    errors: parts.reduce((n, r) => n + r.errors, 0),
  };
}

export function describe(label: string, r: Result): string {
  return `${label}: ${r.rps.toFixed(0)} req/s (${r.pairsPerSec.toFixed(0)} create+delete/s), p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}\n`;
}
