// API-call budget at scale, against moto: with 1,000 poolform instances a
// steady-state observe costs at most 2 DescribeInstances calls (never one per
// instance); a zone with 1,000 poolform records is read in one paginated walk;
// terminating them is one TerminateInstances call, also from a process that
// never observed them.
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { createEc2Client, createEc2VmProvider } from '../src/providers/aws-ec2/index.ts';
import { createRoute53Client, createRoute53DnsProvider } from '../src/providers/route53/index.ts';
import type { DnsRecord } from '../src/providers/types.ts';
import { countCalls, FAKE_CREDENTIALS, motoForSuite, motoAmi, requireMoto } from './support/moto.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireMoto();
const endpoint = motoForSuite(enabled).endpoint;

describe.skipIf(!enabled)('AWS API-call budget with 1,000 resources', () => {
  it('observe of 1,000 instances: ≤ 2 DescribeInstances; destroy of 1,000: one TerminateInstances', { timeout: testTimeout(300_000) }, async () => {
    const raw = new EC2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
    const ami = await motoAmi(raw);
    // Fast setup: one RunInstances of 1,000 carrying the ownership tags observe needs
    // (moto's cost grows with the number of tags, so only those).
    const launched = await raw.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: 't3.micro',
        MinCount: 1000,
        MaxCount: 1000,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'poolform:managed', Value: 'true' },
              { Key: 'poolform:pool', Value: 'big' },
              { Key: 'poolform:server-id', Value: 'srv-bulk' },
            ],
          },
        ],
      }),
    );
    expect(launched.Instances).toHaveLength(1000);
    // And one instance that is not poolform's.
    await raw.send(new RunInstancesCommand({ ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));

    const client = createEc2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
    const config = {
      kind: 'VmProvider',
      name: 'big',
      type: 'aws',
      max_instances: 2000,
      startup_script: '#!/bin/sh\n',
      aws_region: 'us-east-1',
      aws_ec2_ami_id: ami,
      aws_ec2_instance_type: 't3.micro',
      endpoint: endpoint(),
    } as const;
    const provider = createEc2VmProvider({ config, client });
    const calls = countCalls(client);
    const seen = await provider.observe();
    expect(seen).toHaveLength(1000);
    expect(seen.every((vm) => vm.state === 'running' && vm.pool === 'big')).toBe(true);
    expect(calls.count('DescribeInstances')).toBeLessThanOrEqual(2);
    expect(calls.total()).toBe(calls.count('DescribeInstances'));

    // Capacity is asked once per process, whatever the number of instances.
    calls.reset();
    await provider.capacity();
    await provider.capacity();
    expect(calls.all()).toEqual({ DescribeInstanceTypes: 1 });

    // Destroying 500 of what was just observed: ownership is known, one TerminateInstances.
    calls.reset();
    const refs = seen.map((vm) => ({ provider_id: vm.provider_id, server_id: vm.server_id }));
    const results = await provider.destroy(refs.slice(0, 500));
    expect(results.filter((r) => r.error)).toEqual([]);
    expect(calls.all()).toEqual({ TerminateInstances: 1 });

    // The other 500 from a fresh process (a restart, then the pool removed): ownership from one listing, not 500 lookups.
    const freshClient = createEc2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
    const freshCalls = countCalls(freshClient);
    const fresh = createEc2VmProvider({ config, client: freshClient });
    expect((await fresh.destroy(refs.slice(500))).filter((r) => r.error)).toEqual([]);
    expect(freshCalls.count('DescribeInstances')).toBeLessThanOrEqual(2);
    expect(freshCalls.count('TerminateInstances')).toBe(1);
  });

  it('1,000 records: upsert in 2 requests, observe in one walk of the zone', { timeout: testTimeout(300_000) }, async () => {
    const base = 'budget.poolform.test';
    const client = createRoute53Client({ endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
    await client.send(new CreateHostedZoneCommand({ Name: base, CallerReference: 'budget' }));
    const provider = createRoute53DnsProvider({ config: { kind: 'DnsProvider', name: 'r53', type: 'route53', endpoint: endpoint() }, client });
    const calls = countCalls(client);
    const recs: DnsRecord[] = Array.from({ length: 1000 }, (_, i) => ({
      fqdn: `pf-${String(i).padStart(4, '0')}.${base}`,
      type: 'A',
      value: `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      ttl: 60,
      server_id: `srv-${i}`,
    }));
    expect((await provider.upsert(base, recs)).filter((r) => r.error)).toEqual([]);
    // A + TXT CREATE per record = 2 changes; 1,000 changes per request.
    expect(calls.count('ChangeResourceRecordSets')).toBe(2);
    calls.reset();
    expect(await provider.observe(base)).toHaveLength(1000);
    // 2,000 record sets + NS + SOA, 300 per page: one walk of 7 pages, zone id cached.
    expect(calls.all()).toEqual({ ListResourceRecordSets: 7 });
  });
});
