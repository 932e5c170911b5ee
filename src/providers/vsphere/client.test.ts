import { describe, expect, it } from 'vitest';
import type { HttpAnswer, HttpTransport } from '../shared/http-transport.ts';
import { createVsphereClient } from './client.ts';
import { VsphereHttpError } from './errors.ts';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers,
  text: value === undefined ? '' : JSON.stringify(value),
});
const vapi = (status: number, type: string): HttpAnswer => json(status, { error_type: type, messages: [{ default_message: type }] });

function stub(answer: (s: Seen, n: number) => HttpAnswer): { transport: HttpTransport; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    transport: async (method, url, headers) => {
      const s = { method, url, headers };
      seen.push(s);
      return answer(s, seen.length);
    },
  };
}

const client = (transport: HttpTransport) =>
  createVsphereClient({
    url: 'https://vc.example/',
    username: 'u@vsphere.local',
    password: 'p',
    transport,
    retry: { maxRetries: 3, baseMs: 1, maxMs: 2, sleep: async () => undefined },
  });

describe('vsphere client', () => {
  it('logs in once with Basic auth, sends the session id, shares the login between concurrent calls', async () => {
    const { transport, seen } = stub((s) => (s.url.endsWith('/api/session') ? json(201, 'sid-1') : json(200, [])));
    const c = client(transport);
    await Promise.all([c.call('GET', '/vcenter/vm'), c.call('GET', '/vcenter/folder')]);
    expect(seen.filter((s) => s.method === 'POST').map((s) => s.headers['authorization'])).toEqual([
      `Basic ${Buffer.from('u@vsphere.local:p').toString('base64')}`,
    ]);
    expect(seen.filter((s) => s.method === 'GET').every((s) => s.headers['vmware-api-session-id'] === 'sid-1')).toBe(true);
    await c.close();
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: 'https://vc.example/api/session' });
  });

  it('a 401 re-authenticates once and repeats; a second 401 is the error', async () => {
    let logins = 0;
    const { transport } = stub((s) => {
      if (s.url.endsWith('/api/session')) return json(201, `sid-${++logins}`);
      return s.headers['vmware-api-session-id'] === 'sid-2' ? json(200, ['ok']) : vapi(401, 'UNAUTHENTICATED');
    });
    expect(await client(transport).call('GET', '/vcenter/vm')).toEqual(['ok']);
    expect(logins).toBe(2);
    const always = stub((s) => (s.url.endsWith('/api/session') ? json(201, 'sid') : vapi(401, 'UNAUTHENTICATED')));
    await expect(client(always.transport).call('GET', '/vcenter/vm')).rejects.toMatchObject({ errorType: 'UNAUTHENTICATED' });
  });

  it('429 / RESOURCE_BUSY are retried (bounded); a clone answered 500 is not sent again', async () => {
    const busy = stub((s, n) => (s.url.endsWith('/api/session') ? json(201, 'sid') : n < 4 ? vapi(429, 'HTTP 429') : json(200, 'vm-1')));
    expect(await client(busy.transport).call('POST', '/vcenter/vm?action=clone', {}, { idempotent: false })).toBe('vm-1');
    const lost = stub((s) => (s.url.endsWith('/api/session') ? json(201, 'sid') : vapi(500, 'ERROR')));
    await expect(client(lost.transport).call('POST', '/vcenter/vm?action=clone', {}, { idempotent: false })).rejects.toBeInstanceOf(VsphereHttpError);
    expect(lost.seen.filter((s) => s.url.includes('clone'))).toHaveLength(1);
    const forever = stub((s) => (s.url.endsWith('/api/session') ? json(201, 'sid') : vapi(500, 'RESOURCE_BUSY')));
    await expect(client(forever.transport).call('GET', '/vcenter/vm')).rejects.toMatchObject({ errorType: 'RESOURCE_BUSY' });
    expect(forever.seen.filter((s) => s.method === 'GET')).toHaveLength(4);
    const tools = stub((s) => (s.url.endsWith('/api/session') ? json(201, 'sid') : vapi(503, 'SERVICE_UNAVAILABLE')));
    await expect(client(tools.transport).call('GET', '/vcenter/vm/vm-1/guest/identity', undefined, { noRetry: true })).rejects.toMatchObject({ status: 503 });
    expect(tools.seen.filter((s) => s.method === 'GET')).toHaveLength(1);
  });
});
