import { describe, expect, it } from 'vitest';
import { createDoClient, DoApiError, DoNetworkError } from './client.ts';

interface Seen {
  method: string;
  url: string;
  auth: string | null;
}

/** A fetch answering from a script of responses, recording the requests. */
function scripted(answers: (() => Response)[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  let i = 0;
  const fn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.push({ method: init?.method ?? 'GET', url: String(input), auth: new Headers(init?.headers).get('authorization') });
    const next = answers[Math.min(i++, answers.length - 1)];
    if (!next) throw new Error('no answer scripted');
    return next();
  };
  return { fetch: fn as typeof fetch, seen };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const instant = { sleep: async () => undefined, retryBaseMs: 1, retryMaxMs: 2 };

describe('DigitalOcean API client', () => {
  it('sends the Bearer token and maps the error body {id, message}', async () => {
    const { fetch, seen } = scripted([json(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })]);
    const client = createDoClient({ token: 'tok', apiUrl: 'http://h', fetch, ...instant });
    const error = (await client.request('GET', '/v2/droplets/1').catch((e: unknown) => e)) as DoApiError;
    expect(error).toBeInstanceOf(DoApiError);
    expect(error).toMatchObject({ status: 404, id: 'not_found' });
    expect(error.message).not.toContain('tok');
    expect(seen[0]?.auth).toBe('Bearer tok');
  });

  it('retries 429 for every method, but a 5xx only for GET/PUT/DELETE (a POST may have made the droplet)', async () => {
    const throttled = scripted([
      json(429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, { 'retry-after': '0' }),
      json(202, { droplet: { id: 1 } }),
    ]);
    const client = createDoClient({ token: 't', apiUrl: 'http://h', fetch: throttled.fetch, ...instant });
    expect(await client.request('POST', '/v2/droplets', { body: {} })).toEqual({ droplet: { id: 1 } });
    expect(throttled.seen).toHaveLength(2);

    const failing = scripted([json(500, { id: 'server_error', message: 'x' }), json(202, { droplet: { id: 2 } })]);
    const post = createDoClient({ token: 't', apiUrl: 'http://h', fetch: failing.fetch, ...instant });
    await expect(post.request('POST', '/v2/droplets', { body: {} })).rejects.toMatchObject({ status: 500 });
    expect(failing.seen).toHaveLength(1);

    const flaky = scripted([json(503, { id: 'x', message: 'x' }), json(200, { droplets: [] })]);
    const get = createDoClient({ token: 't', apiUrl: 'http://h', fetch: flaky.fetch, ...instant });
    expect(await get.request('GET', '/v2/droplets')).toEqual({ droplets: [] });
    expect(flaky.seen).toHaveLength(2);
  });

  it('gives up after maxRetries; a transport failure is a DoNetworkError', async () => {
    const always = scripted([json(429, { id: 'too_many_requests', message: 'x' })]);
    const client = createDoClient({ token: 't', apiUrl: 'http://h', fetch: always.fetch, maxRetries: 2, ...instant });
    await expect(client.request('GET', '/v2/droplets')).rejects.toMatchObject({ status: 429 });
    expect(always.seen).toHaveLength(3);
    const broken = createDoClient({
      token: 't',
      apiUrl: 'http://h',
      maxRetries: 0,
      ...instant,
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(broken.request('GET', '/v2/droplets')).rejects.toBeInstanceOf(DoNetworkError);
  });

  it('listAll follows links.pages.next with per_page=200 and stops on a link that does not move forward', async () => {
    const page = (n: number, next?: number) =>
      json(200, {
        droplets: [{ id: n }],
        links: { pages: next === undefined ? {} : { next: `https://api.digitalocean.com/v2/droplets?page=${next}&per_page=200` } },
      });
    const { fetch, seen } = scripted([page(1, 2), page(2, 3), page(3, 2)]);
    const client = createDoClient({ token: 't', apiUrl: 'http://h', fetch, ...instant });
    expect(await client.listAll<{ id: number }>('/v2/droplets', 'droplets', { tag_name: 'poolform:provider:do' })).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(seen.map((s) => new URL(s.url).searchParams.get('page'))).toEqual(['1', '2', '3']);
    expect(
      seen.every((s) => s.url.startsWith('http://h/v2/droplets?') && s.url.includes('per_page=200') && s.url.includes('tag_name=poolform%3Aprovider%3Ado')),
    ).toBe(true);
  });

  it('paces calls when ratelimit-remaining is low', async () => {
    const waits: number[] = [];
    const reset = String(Math.floor(Date.now() / 1000) + 100);
    const { fetch } = scripted([json(200, {}, { 'ratelimit-limit': '5000', 'ratelimit-remaining': '1', 'ratelimit-reset': reset })]);
    const client = createDoClient({ token: 't', apiUrl: 'http://h', fetch, sleep: async (ms) => void waits.push(ms) });
    await client.request('GET', '/v2/account');
    expect(waits).toEqual([]);
    await client.request('GET', '/v2/account');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(30_000);
    expect(waits[0]).toBeLessThanOrEqual(60_000);
  });
});
