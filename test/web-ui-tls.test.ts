// The web page over real HTTPS (`serve --tls-cert/--tls-key`): the session
// cookie carries Secure (with HttpOnly and SameSite=Strict) and works; the
// same page over plain HTTP sets no Secure flag (else the browser would drop it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileOutcome } from '../src/daemon/pipeline.ts';
import { startServe } from '../src/daemon/serve.ts';
import { silentLog } from '../src/server/types.ts';

const KEY = 'ui-tls-admin-key-6b1c';
let root: string;
let hasOpenssl = true;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'poolform-ui-tls-'));
  mkdirSync(join(root, 'cfg'));
  writeFileSync(
    join(root, 'cfg', 'settings.yaml'),
    'kind: Settings\nreconcile_interval: 1h\napi_keys:\n  - name: ops\n    secret: ${env:UI_TLS_KEY}\n    role: admin\n',
  );
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(root, 'a.key'),
        '-out',
        join(root, 'a.crt'),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
  } catch {
    if (process.env['CI'] === 'true') throw new Error('openssl is needed to make a test certificate');
    hasOpenssl = false;
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const idle = (): Promise<ReconcileOutcome> =>
  Promise.resolve({ changes: [], applied: 0, failed: 0, held: [], decisions: [], errors: [], providerErrors: [], audited: false });

function send(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; ca?: Buffer },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, ...(options.ca ? { ca: options.ca } : {}) },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(options.body);
  });
}

async function signIn(base: string, ca?: Buffer): Promise<string> {
  const res = await send(`${base}/ui/login`, {
    method: 'POST',
    body: new URLSearchParams({ key: KEY }).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: base },
    ...(ca ? { ca } : {}),
  });
  expect(res.status, res.body).toBe(303);
  const cookie = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('poolform_ui='));
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

describe('web page over TLS', () => {
  it('HTTPS: the session cookie is Secure, HttpOnly, SameSite=Strict and signs in; plain HTTP: not Secure', async (ctx) => {
    if (!hasOpenssl) ctx.skip();
    const ca = readFileSync(join(root, 'a.crt'));
    const common = { dir: join(root, 'cfg'), listen: '127.0.0.1:0', env: { UI_TLS_KEY: KEY }, cwd: root, log: silentLog, reconcile: idle, watch: false };
    const tls = await startServe({ ...common, stateDir: join(root, 'state-tls'), tls: { cert: 'a.crt', key: 'a.key' } });
    try {
      expect(tls.url).toMatch(/^https:/);
      const cookie = await signIn(tls.url, ca);
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Strict/i);
      expect(cookie).not.toContain(KEY);
      const page = await send(`${tls.url}/ui/`, { headers: { Cookie: cookie.split(';')[0] ?? '' }, ca });
      expect(page.status).toBe(200);
      expect(page.body).toContain('Signed in as ops');
    } finally {
      await tls.stop();
    }
    const plain = await startServe({ ...common, stateDir: join(root, 'state-plain') });
    try {
      const cookie = await signIn(plain.url);
      expect(cookie).not.toMatch(/Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
    } finally {
      await plain.stop();
    }
  });
});
