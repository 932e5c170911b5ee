// Scenario: drift at AWS (moto). An instance is stopped in the console (not
// terminated): plan shows it under "changed outside poolform", the autoscaler
// handles it as a failed server (terminated, replaced); a Route 53 record
// changed by hand to another address is put back. Then "No changes.".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, type Instance, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planOnce, reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/model.ts';
import { createEc2Client, createEc2VmProvider } from '../src/providers/aws-ec2/index.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createRoute53Client, createRoute53DnsProvider } from '../src/providers/route53/index.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { FAKE_CREDENTIALS, motoForSuite, motoAmi, requireMoto } from './support/moto.ts';

const enabled = requireMoto();
const BASE = 'drift.example.test';
const ENV = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey };

const { endpoint } = motoForSuite(enabled);
let root = '';
let zoneId = '';

const ec2 = (): EC2Client => new EC2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
const r53 = (): Route53Client => new Route53Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });

beforeAll(async () => {
  if (!enabled) return;
  const ami = await motoAmi(ec2());
  zoneId = (await r53().send(new CreateHostedZoneCommand({ Name: BASE, CallerReference: 'drift' }))).HostedZone?.Id ?? '';
  root = mkdtempSync(join(tmpdir(), 'poolform-aws-drift-'));
  writeFileSync(
    join(root, 'config.yaml'),
    `kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: aws
    dns_provider: r53
    register_dns: true
    base_domain_name: ${BASE}
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: 2
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: aws
type: aws
max_instances: 10
aws_region: us-east-1
aws_ec2_ami_id: ${ami}
aws_ec2_instance_type: t3.medium
endpoint: ${endpoint()}
access_key_id: \${env:AWS_ACCESS_KEY_ID}
secret_access_key: \${env:AWS_SECRET_ACCESS_KEY}
startup_script: |
  #!/bin/sh
  echo {server_id}
---
kind: DnsProvider
name: r53
type: route53
endpoint: ${endpoint()}
access_key_id: \${env:AWS_ACCESS_KEY_ID}
secret_access_key: \${env:AWS_SECRET_ACCESS_KEY}
`,
  );
});

afterAll(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
});

async function liveInstances(): Promise<Instance[]> {
  const out = await ec2().send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:poolform:managed', Values: ['true'] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated' && i.State?.Name !== 'shutting-down');
}

async function aRecords(): Promise<string[]> {
  const out = await r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (out.ResourceRecordSets ?? []).filter((r) => r.Type === 'A').map((r) => r.Name ?? '');
}

async function aRecordValues(): Promise<Map<string, string>> {
  const out = await r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return new Map((out.ResourceRecordSets ?? []).filter((r) => r.Type === 'A').map((r) => [r.Name ?? '', r.ResourceRecords?.[0]?.Value ?? '']));
}

const serverIdOf = (i: Instance): string | undefined => i.Tags?.find((t) => t.Key === 'poolform:server-id')?.Value;

describe.skipIf(!enabled)('drift at AWS', () => {
  it('a stopped instance is replaced, a hand-edited record is put back', { timeout: 120_000 }, async () => {
    const loaded = await loadConfig(root);
    const config: Config | undefined = loaded.config;
    if (!config) throw new Error(`config invalid: ${JSON.stringify(loaded.diagnostics)}`);
    const registry = createProviderRegistry({ config, stateDir: join(root, '.state'), env: ENV });
    const store = await createSqliteStore({ path: join(root, '.state') });
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
          HostedZoneId: zoneId,
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
