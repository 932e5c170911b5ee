// The /api/* body limit over real HTTP/1.1 (where it decides from Node's parsed
// headers) and in-process (where Hono's counting bodyLimit decides): the same
// answers either way, and the body still reaches the route.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiBodyLimit } from './body-limit.ts';

const MAX = 100;

function app(): Hono {
  const a = new Hono();
  a.use('/api/*', apiBodyLimit({ maxSize: MAX, onError: (c) => c.json({ error: 'payload_too_large' }, 413) }));
  a.post('/api/echo', async (c) => c.json({ length: (await c.req.text()).length }));
  a.delete('/api/thing', (c) => c.json({ ok: true }));
  return a;
}

let server: Server;
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app().fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      port = info.port;
      resolve();
    }) as Server;
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One HTTP/1.1 request; `chunks` sent one write each (chunked when `chunked`). */
function send(method: string, path: string, chunks: string[], chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = chunks.join('');
    const headers: Record<string, string> = chunked
      ? { 'transfer-encoding': 'chunked' }
      : body === ''
        ? {}
        : { 'content-length': String(Buffer.byteLength(body)) };
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('apiBodyLimit', () => {
  it('HTTP/1.1 with Content-Length: at the limit passes with its body, one byte over is 413', async () => {
    expect(await send('POST', '/api/echo', ['x'.repeat(MAX)], false)).toEqual({ status: 200, body: JSON.stringify({ length: MAX }) });
    expect((await send('POST', '/api/echo', ['x'.repeat(MAX + 1)], false)).status).toBe(413);
  });

  it('HTTP/1.1 chunked: counted as read (413 over the limit, body intact under it)', async () => {
    expect(await send('POST', '/api/echo', ['x'.repeat(60), 'y'.repeat(40)], true)).toEqual({ status: 200, body: JSON.stringify({ length: MAX }) });
    expect((await send('POST', '/api/echo', ['x'.repeat(60), 'y'.repeat(60)], true)).status).toBe(413);
  });

  it('HTTP/1.1 without a body: passes', async () => {
    expect(await send('DELETE', '/api/thing', [], false)).toEqual({ status: 200, body: JSON.stringify({ ok: true }) });
  });

  it('in-process requests without Content-Length are counted too', async () => {
    const a = app();
    expect((await a.request('/api/echo', { method: 'POST', body: 'x'.repeat(MAX + 1) })).status).toBe(413);
    const ok = await a.request('/api/echo', { method: 'POST', body: 'x'.repeat(MAX) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ length: MAX });
  });
});
