// End to end against moto: `poolform apply` on a config with an aws VM
// provider and a route53 DNS provider creates the instances (AMI, type, tags,
// rendered user data) and their records; a second plan says "No changes.";
// an instance terminated behind poolform's back shows as drift and is
// replaced; removing the pool destroys the instances and the records.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, type Instance, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, type ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './fixtures/plan/harness.ts';
import { FAKE_CREDENTIALS, motoForSuite, motoAmi, requireMoto } from './support/moto.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireMoto();
const BASE = 'desk.example.test';
const ENV = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey, DESKTOP_PASSWORD: 'pw-e2e-Secret' };

const { endpoint } = motoForSuite(enabled);
let root = '';
let zoneId = '';
let ami = '';

const ec2 = (): EC2Client => new EC2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
const r53 = (): Route53Client => new Route53Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });

const POOL = `kind: Pool
name: desktops
type: server
autoscale:
  - name: day
    vm_provider: aws
    dns_provider: r53
    register_dns: true
    base_domain_name: ${BASE}
    connection_type: rdp
    connection_port: 3389
    connection_username: admin
    connection_password: \${env:DESKTOP_PASSWORD}
    minimum_available_sessions: 3
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
`;

function providers(ip: 'private' | 'public' = 'private'): string {
  return `kind: VmProvider
name: aws
type: aws
max_instances: 5
aws_region: us-east-1
aws_ec2_ami_id: ${ami}
aws_ec2_instance_type: t3.medium
aws_ec2_ebs_volume_size_gb: 40
aws_ec2_ebs_volume_type: gp3
aws_ec2_custom_tags:
  team: vdi
endpoint: ${endpoint()}
access_key_id: \${env:AWS_ACCESS_KEY_ID}
secret_access_key: \${env:AWS_SECRET_ACCESS_KEY}
startup_script: |
  #!/bin/sh
  echo "id={server_id} host={server_hostname} fqdn={server_external_fqdn} provider={provider_name}"
  echo "jwt={checkin_jwt}"
  echo '{{"status": "running"}}'
---
kind: DnsProvider
name: r53
type: route53
ttl: 120
ip: ${ip}
endpoint: ${endpoint()}
access_key_id: \${env:AWS_ACCESS_KEY_ID}
secret_access_key: \${env:AWS_SECRET_ACCESS_KEY}
`;
}

beforeAll(async () => {
  if (!enabled) return;
  ami = await motoAmi(ec2());
  const zone = await r53().send(new CreateHostedZoneCommand({ Name: BASE, CallerReference: 'e2e' }));
  zoneId = zone.HostedZone?.Id ?? '';
  root = mkdtempSync(join(tmpdir(), 'poolform-aws-e2e-'));
  writeFileSync(join(root, 'pool.yaml'), POOL);
  writeFileSync(join(root, 'providers.yaml'), providers());
});

afterAll(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const configDir = (): string => root;
const stateDir = (): string => join(root, '.state');
const plan = () => runCli(['plan', configDir(), '--state', stateDir()], { env: ENV });
const apply = () => runCli(['apply', configDir(), '--state', stateDir(), '--auto-approve'], { env: ENV });

async function managedInstances(): Promise<Instance[]> {
  const out = await ec2().send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:poolform:managed', Values: ['true'] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

const running = async (): Promise<Instance[]> => (await managedInstances()).filter((i) => i.State?.Name === 'running' || i.State?.Name === 'pending');
const tag = (instance: Instance, key: string): string | undefined => instance.Tags?.find((t) => t.Key === key)?.Value;

async function records(): Promise<ResourceRecordSet[]> {
  const out = await r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (out.ResourceRecordSets ?? []).filter((r) => r.Type === 'A' || r.Type === 'TXT');
}

async function userData(instanceId: string): Promise<string> {
  const out = await ec2().send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
  return Buffer.from(out.UserData?.Value ?? '', 'base64').toString('utf8');
}

/** Every running instance has an A record (config ttl) at its private (or public) IP and poolform's TXT marker. */
async function expectRecordsMatch(instances: Instance[], ip: 'private' | 'public' = 'private'): Promise<void> {
  const rrsets = await records();
  expect(rrsets.filter((r) => r.Type === 'A')).toHaveLength(instances.length);
  for (const instance of instances) {
    const name = `${tag(instance, 'Name')}.${BASE}.`;
    const a = rrsets.find((r) => r.Name === name && r.Type === 'A');
    const address = ip === 'public' ? instance.PublicIpAddress : instance.PrivateIpAddress;
    expect(address).toBeTruthy();
    expect(a).toMatchObject({ TTL: 120, ResourceRecords: [{ Value: address }] });
    const txt = rrsets.find((r) => r.Name === name && r.Type === 'TXT');
    expect(txt?.ResourceRecords).toEqual([{ Value: `"poolform:server-id=${tag(instance, 'poolform:server-id')}"` }]);
  }
}

describe.skipIf(!enabled)('poolform apply with aws + route53 against moto', () => {
  it('creates, converges, replaces drift and destroys', { timeout: testTimeout(120_000) }, async () => {
    // 1. apply creates 3 instances and 3 records.
    const first = await apply();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Apply complete! Resources: 6 added, 0 changed, 0 destroyed.');
    expect(first.stdout).not.toContain(ENV.DESKTOP_PASSWORD);

    const instances = await running();
    expect(instances).toHaveLength(3);
    for (const instance of instances) {
      expect(instance.ImageId).toBe(ami);
      expect(instance.InstanceType).toBe('t3.medium');
      const hostname = tag(instance, 'Name') ?? '';
      const serverId = tag(instance, 'poolform:server-id') ?? '';
      expect(hostname).not.toBe('');
      expect(serverId).not.toBe('');
      expect(tag(instance, 'poolform:pool')).toBe('desktops');
      expect(tag(instance, 'poolform:autoscale')).toBe('day');
      expect(tag(instance, 'poolform:provider')).toBe('aws');
      expect(tag(instance, 'poolform:intent-id')).toBeTruthy();
      expect(tag(instance, 'team')).toBe('vdi');
      const script = await userData(instance.InstanceId ?? '');
      expect(script).toContain(`id=${serverId} host=${hostname} fqdn=${hostname}.${BASE} provider=aws`);
      expect(script).toMatch(/jwt=[\w-]+\.[\w-]+\.[\w-]+"/);
      expect(script).toContain(`echo '{"status": "running"}'`);
    }
    await expectRecordsMatch(instances);

    // 2. Nothing left to do.
    const steady = await plan();
    expect(steady.code).toBe(0);
    expect(steady.stdout).toContain('No changes.');

    // 3. An instance terminated behind poolform's back: drift, then replaced.
    const victim = instances[0];
    if (!victim?.InstanceId) throw new Error('no instance');
    await ec2().send(new TerminateInstancesCommand({ InstanceIds: [victim.InstanceId] }));
    const drift = await plan();
    expect(drift.stdout).toContain('changed outside poolform');
    expect(drift.stdout).toMatch(/must be replaced|will be created/);
    const repaired = await apply();
    expect(repaired.code).toBe(0);
    const after = await running();
    expect(after).toHaveLength(3);
    expect(after.map((i) => i.InstanceId)).not.toContain(victim.InstanceId);
    await expectRecordsMatch(after);
    expect((await plan()).stdout).toContain('No changes.');

    // 4. `ip: public`: the records move to the instances' public addresses; the instances stay.
    writeFileSync(join(root, 'providers.yaml'), providers('public'));
    const toPublic = await apply();
    expect(toPublic.code).toBe(0);
    expect((await running()).map((i) => i.InstanceId).sort()).toEqual(after.map((i) => i.InstanceId).sort());
    await expectRecordsMatch(after, 'public');
    expect((await plan()).stdout).toContain('No changes.');

    // 5. Removing the pool destroys its instances and records.
    rmSync(join(root, 'pool.yaml'));
    const removed = await apply();
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('6 destroyed');
    expect(await running()).toEqual([]);
    expect(await records()).toEqual([]);

    // 6. A base_domain_name without a hosted zone is a plan-time error naming it; nothing is launched.
    writeFileSync(join(root, 'pool.yaml'), POOL.replace(`base_domain_name: ${BASE}`, 'base_domain_name: nozone.example.test'));
    const noZone = await plan();
    expect(noZone.code).toBe(1);
    expect(`${noZone.stdout}${noZone.stderr}`).toMatch(/no Route 53 hosted zone found for base_domain_name nozone\.example\.test/);
    expect((await apply()).code).not.toBe(0);
    expect(await running()).toEqual([]);
  });
});
