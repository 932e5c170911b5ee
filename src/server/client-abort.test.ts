// Issue 12 defect 6: a client that goes away mid-request (a stalled body, a
// closed connection) is not a server error: logged at debug, never as
// `level: error, event: http-error`.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/model.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import type { StateStore } from '../state/types.ts';
import { createApp } from './app.ts';
import { isClientAbort } from './client-abort.ts';
import type { Log } from './types.ts';

const config: Config = {
  dir: '/cfg',
  settings: { kind: 'Settings', api_keys: [{ name: 'k', secret: '${env:K}' }] },
  zones: [],
  vmProviders: [],
  dnsProviders: [],
  ldapConfigs: [],
  workspaces: [],
  pools: [],
  sources: {},
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function captureLog(): { log: Log; lines: { level: string; obj: Record<string, unknown> }[] } {
  const lines: { level: string; obj: Record<string, unknown> }[] = [];
  const put = (level: string) => (obj: object) => void lines.push({ level, obj: obj as Record<string, unknown> });
  return { log: { info: put('info'), warn: put('warn'), error: put('error'), debug: put('debug') }, lines };
}

describe('client aborts', () => {
  it('recognises aborted / reset connections', () => {
    expect(isClientAbort(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isClientAbort(new Error('aborted'))).toBe(true);
    expect(isClientAbort(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }))).toBe(true);
    expect(isClientAbort(new Error('disk full'))).toBe(false);
  });

  it('a stalled body whose client goes away is logged at debug, not as an error', async () => {
    const store: StateStore = await createSqliteStore({ path: ':memory:' });
    const captured = captureLog();
    const app = createApp({ store, getConfig: () => config, env: { K: 'secret-key' }, log: captured.log });
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
    });
    cleanups.push(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    });
    const port = (server.address() as AddressInfo).port;
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const sock = connect({ host: '127.0.0.1', port }, () => {
          sock.write(
            'POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret-key\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"pool": "p',
          );
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 100);
        });
        sock.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(captured.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(captured.lines.filter((l) => l.level === 'debug' && l.obj['event'] === 'client-aborted').length).toBeGreaterThan(0);
  });
});
