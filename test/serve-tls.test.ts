// Issue 12 defect 8: `serve --tls-cert/--tls-key` speaks HTTPS, checked with a
// real TLS client against a self-signed certificate made with openssl here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../src/daemon/serve.ts';
import type { ReconcileOutcome } from '../src/daemon/pipeline.ts';
import { silentLog } from '../src/server/types.ts';
import { runCli } from './fixtures/plan/harness.ts';

let root: string;
let hasOpenssl = true;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'poolform-tls-'));
  mkdirSync(join(root, 'cfg'));
  writeFileSync(join(root, 'cfg', 'settings.yaml'), 'kind: Settings\nreconcile_interval: 1h\n');
  try {
    for (const name of ['a', 'b']) {
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
          join(root, `${name}.key`),
          '-out',
          join(root, `${name}.crt`),
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'ignore' },
      );
    }
  } catch {
    hasOpenssl = false;
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const idle = (): Promise<ReconcileOutcome> =>
  Promise.resolve({ changes: [], applied: 0, failed: 0, held: [], decisions: [], errors: [], providerErrors: [], audited: false });

function get(url: string, ca?: Buffer): Promise<{ status: number; body: string; protocol: string | undefined }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, ca ? { ca } : {}, (res) => {
      const protocol = (res.socket as { getProtocol?: () => string | null } | null)?.getProtocol?.() ?? undefined;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }));
    });
    req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('serve over TLS', () => {
  it('answers HTTPS with the given certificate; a verifying client trusts it; plain HTTP gets no answer', async (ctx) => {
    if (!hasOpenssl) ctx.skip();
    const handle = await startServe({
      dir: join(root, 'cfg'),
      listen: '127.0.0.1:0',
      stateDir: join(root, 'state'),
      env: {},
      cwd: root,
      log: silentLog,
      reconcile: idle,
      watch: false,
      tls: { cert: 'a.crt', key: 'a.key' },
    });
    try {
      expect(handle.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await get(`${handle.url}/healthz`, readFileSync(join(root, 'a.crt')));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
      expect(res.protocol).toMatch(/^TLSv1\.[23]$/);
      // A client that does not trust the certificate refuses it (it is really TLS, verified).
      await expect(get(`${handle.url}/healthz`)).rejects.toThrow(/self.signed|unable to verify|certificate/i);
      // Plain HTTP to the TLS port does not get an API answer.
      await expect(get(`${handle.url.replace('https:', 'http:')}/healthz`).then((r) => r.status)).rejects.toThrow();
    } finally {
      await handle.stop();
    }
  });

  it('Settings.tls (paths relative to the Settings file) serves HTTPS without flags', async (ctx) => {
    if (!hasOpenssl) ctx.skip();
    mkdirSync(join(root, 'cfg-tls', 'tls'), { recursive: true });
    writeFileSync(join(root, 'cfg-tls', 'tls', 'a.crt'), readFileSync(join(root, 'a.crt')));
    writeFileSync(join(root, 'cfg-tls', 'tls', 'a.key'), readFileSync(join(root, 'a.key')));
    writeFileSync(join(root, 'cfg-tls', 'settings.yaml'), 'kind: Settings\nreconcile_interval: 1h\ntls:\n  cert_file: tls/a.crt\n  key_file: tls/a.key\n');
    const handle = await startServe({
      dir: join(root, 'cfg-tls'),
      listen: '127.0.0.1:0',
      stateDir: join(root, 'state3'),
      env: {},
      cwd: '/',
      log: silentLog,
      reconcile: idle,
      watch: false,
    });
    try {
      expect(handle.url).toMatch(/^https:/);
      expect((await get(`${handle.url}/healthz`, readFileSync(join(root, 'a.crt')))).status).toBe(200);
    } finally {
      await handle.stop();
    }
  });

  it('a key that does not match the certificate fails at start with tls-invalid; one flag alone is a usage error', async (ctx) => {
    if (!hasOpenssl) ctx.skip();
    const bad = await runCli(
      [
        'serve',
        join(root, 'cfg'),
        '--listen',
        '127.0.0.1:0',
        '--state',
        join(root, 'state2'),
        '--tls-cert',
        join(root, 'a.crt'),
        '--tls-key',
        join(root, 'b.key'),
      ],
      { cwd: root },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/poolform serve: error \[tls-invalid\]/);
    expect(bad.stderr).not.toContain('PRIVATE KEY');
    const half = await runCli(['serve', join(root, 'cfg'), '--tls-cert', join(root, 'a.crt')], { cwd: root });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });
});
