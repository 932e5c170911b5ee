// Scenario: drift at AWS (moto). An instance is stopped in the console (not
// terminated): plan shows it under "changed outside poolform", the autoscaler
// handles it as a failed server (terminated, replaced); a Route 53 record
// changed by hand to another address is put back. Then "No changes.".
import { join } from 'node:path';
import { type Instance, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { motoForSuite, requireMoto } from './support/moto.ts';
import { AWS_FAKE_ENV, awsFleetForSuite } from './support/aws-fleet.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireMoto();
const { endpoint } = motoForSuite(enabled);
const fleet = awsFleetForSuite(enabled, endpoint, { name: 'drift', minimumAvailableSessions: 2 });
const { ec2, r53, liveInstances, aRecordValues } = fleet;
const ENV = AWS_FAKE_ENV;

const serverIdOf = (i: Instance): string | undefined => i.Tags?.find((t) => t.Key === 'poolform:server-id')?.Value;

describe.skipIf(!enabled)('drift at AWS', () => {
  it('a stopped instance is replaced, a hand-edited record is put back', { timeout: testTimeout(120_000) }, async () => {
    const loaded = await loadConfig(fleet.root);
    const config: Config | undefined = loaded.config;
    if (!config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
    const registry = createProviderRegistry({ config, stateDir: join(fleet.root, '.state'), env: ENV });
    const store = await createSqliteStore({ path: join(fleet.root, '.state') });
    let seq = 0;
    const common = {
      config,
      store,
      registry,
      clock: () => new Date(),
      idGen: createSeededIdGen(5),
      newId: () => `intent-drift-${++seq}`,
      env: ENV,
      apiAddress: '127.0.0.1:9',
      policy: 'all' as const,
    };
    try {
      expect((await reconcileOnce(common)).applied.failures).toEqual([]);
      const [victim, other] = await liveInstances();
      if (!victim?.InstanceId || !other) throw new Error('expected two instances');
      await ec2().send(new StopInstancesCommand({ InstanceIds: [victim.InstanceId] }));

      // A record changed by hand to another address.
      const records = await aRecordValues();
      const [name] = [...records.keys()];
      if (!name) throw new Error('expected records');
      await r53().send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: fleet.zoneId,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.77' }] } }] },
        }),
      );

      const { plan } = await planOnce(common);
      const victimId = serverIdOf(victim) ?? '';
      const drift = plan.drift.find((d) => d.address.endsWith(`.${victimId}`));
      expect(drift?.reason).toMatch(/VM stopped at VmProvider aws/);
      const byAddress = new Map(plan.changes.map((c) => [c.address, c.action]));
      expect(byAddress.get(`vm.agents.fleet.${victimId}`)).toBe('delete');
      expect([...byAddress.values()].filter((a) => a === 'create')).toHaveLength(2); // a new VM and its record
      expect([...byAddress.entries()].some(([a, action]) => a === `dns.${name.replace(/\.$/, '')}` && (action === 'update' || action === 'delete'))).toBe(true);

      const applied = await reconcileOnce(common);
      expect(applied.applied.failures).toEqual([]);
      const live = await liveInstances();
      expect(live.map((i) => i.InstanceId)).not.toContain(victim.InstanceId);
      expect(live.filter((i) => i.State?.Name === 'running')).toHaveLength(2);
      const values = await aRecordValues();
      expect(values.size).toBe(2);
      expect([...values.values()]).not.toContain('203.0.113.77');
      const after = await planOnce(common);
      expect(after.plan.changes).toEqual([]);
      expect(after.plan.drift).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
