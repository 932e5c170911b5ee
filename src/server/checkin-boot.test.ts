// The first running check-in of an autoscaled server records its boot time
// (create → running) for prewarm: auto; later check-ins and other statuses do not.
import { describe, expect, it } from 'vitest';
import { CHECKIN_KEY_NAME, generateSigningKey, signCheckinToken } from '../auth/checkin-token.ts';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import { makeServer } from '../state/store-suite.ts';
import { createSqliteStore } from '../state/sqlite-store.ts';
import { createApp } from './app.ts';
import type { Log } from './types.ts';

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const CREATED = '2024-03-11T06:00:00.000Z';

describe('boot time at the first running check-in', () => {
  it('is recorded once per server, from its create to its first running check-in', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    try {
      await store.putServer(makeServer({ id: 'b1', pool: 'desktops', autoscale: 'day', status: 'starting', created_at: CREATED, checked_in_at: null }));
      let now = Date.parse(CREATED) + 9 * 60_000;
      const config = makeConfig({ pools: [serverPool('desktops', [{ name: 'day', connection_type: 'rdp' }])] });
      const app = createApp({ store, getConfig: () => config, env: {}, log: quiet, clock: () => new Date(now) });
      const key = await store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey);
      const token = await signCheckinToken(key, 'b1', Date.parse(CREATED), 3_600_000);
      const checkin = (status: string) =>
        app.request(`/api/set_server_status?token=${token}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ status }),
        });
      expect((await checkin('starting')).status).toBe(200);
      expect(await store.listBoots()).toEqual([]);
      now += 5 * 60_000;
      expect((await checkin('running')).status).toBe(200);
      now += 30 * 60_000;
      expect((await checkin('running')).status).toBe(200);
      expect(await store.listBoots()).toEqual([
        { pool: 'desktops', autoscale: 'day', server_id: 'b1', created_at: CREATED, running_at: '2024-03-11T06:14:00.000Z' },
      ]);
    } finally {
      await store.close();
    }
  });
});
