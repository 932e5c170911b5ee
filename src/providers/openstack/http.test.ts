import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport, TransportError } from './http.ts';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    if (req.url === '/big') {
      res.writeHead(200);
      res.end('x'.repeat(10_000));
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(201, { 'x-subject-token': 'tok', 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'], body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('OpenStack HTTP transport', () => {
  it('sends the body with its length and returns status, lower-cased headers and text', async () => {
    const answer = await createHttpTransport()('POST', `${base}/x`, { 'content-type': 'application/json' }, '{"a":"é"}');
    expect(answer.status).toBe(201);
    expect(answer.headers['x-subject-token']).toBe('tok');
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', length: '10', body: '{"a":"é"}' });
  });

  it('a silent server is a TransportError (not TLS) after the timeout; an oversized answer is refused', async () => {
    const hang = await createHttpTransport({ timeoutMs: 50 })('GET', `${base}/hang`, {}).catch((e: unknown) => e);
    expect(hang).toBeInstanceOf(TransportError);
    expect((hang as TransportError).tls).toBe(false);
    const big = await createHttpTransport({ maxBodyBytes: 1000 })('GET', `${base}/big`, {}).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(Error);
    const refused = await createHttpTransport()('GET', 'http://127.0.0.1:1/x', {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransportError);
  });
});
