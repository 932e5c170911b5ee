// A small AWS-backed server pool for reconcile-level suites against moto: a
// config directory with one autoscale config on an `aws` VM provider that
// registers its servers in a Route 53 zone, plus the SDK clients and lookups
// those suites assert with. Registers its own beforeAll/afterAll (after
// motoForSuite's, so moto is up first).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll } from 'vitest';
import type { ReconcileDeps } from '../../src/apply/reconcile.ts';
import type { Config } from '../../src/config/model.ts';
import { createSeededIdGen } from '../../src/plan/names.ts';
import { createEc2VmProvider } from '../../src/providers/aws-ec2/index.ts';
import { createProviderRegistry } from '../../src/providers/registry.ts';
import { createRoute53DnsProvider } from '../../src/providers/route53/index.ts';
import { createSqliteStore } from '../../src/state/sqlite-store.ts';
import type { StateStore } from '../../src/state/types.ts';
import { FAKE_CREDENTIALS, motoAmi } from './moto.ts';

/** Environment the fleet's secret references resolve from. */
export const AWS_FAKE_ENV = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey };
/** SDK retry timings short enough for tests. */
export const FAST_AWS_RETRY = { baseDelayMs: 5, throttlingBaseDelayMs: 10, maxDelayMs: 100 };

export interface AwsFleet {
  /** `<name>.example.test`: the hosted zone and base_domain_name. */
  readonly base: string;
  /** The config directory (state goes under `<root>/.state` by convention). Set in beforeAll. */
  root: string;
  zoneId: string;
  ec2(): EC2Client;
  r53(): Route53Client;
  /** poolform-managed instances that are not terminated or shutting down. */
  liveInstances(): Promise<Instance[]>;
  /** Names of the zone's A records. */
  aRecords(): Promise<string[]>;
  /** The zone's A records: name → first value. */
  aRecordValues(): Promise<Map<string, string>>;
}

export function awsFleetForSuite(enabled: boolean, endpoint: () => string, options: { name: string; minimumAvailableSessions: number }): AwsFleet {
  const ec2 = (): EC2Client => new EC2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
  const r53 = (): Route53Client => new Route53Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
  const listA = async () =>
    ((await r53().send(new ListResourceRecordSetsCommand({ HostedZoneId: fleet.zoneId }))).ResourceRecordSets ?? []).filter((r) => r.Type === 'A');
  const fleet: AwsFleet = {
    base: `${options.name}.example.test`,
    root: '',
    zoneId: '',
    ec2,
    r53,
    async liveInstances() {
      const out = await ec2().send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:poolform:managed', Values: ['true'] }] }));
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated' && i.State?.Name !== 'shutting-down');
    },
    async aRecords() {
      return (await listA()).map((r) => r.Name ?? '');
    },
    async aRecordValues() {
      return new Map((await listA()).map((r) => [r.Name ?? '', r.ResourceRecords?.[0]?.Value ?? '']));
    },
  };

  beforeAll(async () => {
    if (!enabled) return;
    const ami = await motoAmi(ec2());
    fleet.zoneId = (await r53().send(new CreateHostedZoneCommand({ Name: fleet.base, CallerReference: options.name }))).HostedZone?.Id ?? '';
    fleet.root = mkdtempSync(join(tmpdir(), `poolform-aws-${options.name}-`));
    writeFileSync(
      join(fleet.root, 'config.yaml'),
      `kind: Pool
name: agents
type: server
autoscale:
  - name: fleet
    vm_provider: aws
    dns_provider: r53
    register_dns: true
    base_domain_name: ${fleet.base}
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${options.minimumAvailableSessions}
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

  afterAll(() => {
    if (fleet.root) rmSync(fleet.root, { recursive: true, force: true });
  });

  return fleet;
}

/** What a reconcile-level suite drives the fleet with: deps for planOnce/reconcileOnce and a movable clock. */
export interface FleetReconcile {
  deps: ReconcileDeps;
  store: StateStore;
  /** Moves the reconcile clock this far ahead of real time ("later", for backoff and intent grace). */
  shiftClock(ms: number): void;
}

/**
 * A SQLite state under `<root>/.state` and a provider registry whose EC2 and
 * Route 53 providers use the given clients (with fault-injecting middleware).
 */
export async function fleetReconcile(
  fleet: AwsFleet,
  config: Config,
  clients: { ec2: EC2Client; r53: Route53Client },
  ids: { seed: number; intentPrefix: string },
): Promise<FleetReconcile> {
  const stateDir = join(fleet.root, '.state');
  const registry = createProviderRegistry({
    config,
    stateDir,
    env: AWS_FAKE_ENV,
    factories: {
      awsVm: (options) => createEc2VmProvider({ ...options, client: clients.ec2 }),
      route53: (options) => createRoute53DnsProvider({ ...options, client: clients.r53 }),
    },
  });
  const store = await createSqliteStore({ path: stateDir });
  let seq = 0;
  let shiftMs = 0;
  return {
    store,
    shiftClock: (ms) => {
      shiftMs = ms;
    },
    deps: {
      config,
      store,
      registry,
      clock: () => new Date(Date.now() + shiftMs),
      idGen: createSeededIdGen(ids.seed),
      newId: () => `${ids.intentPrefix}-${++seq}`,
      env: AWS_FAKE_ENV,
      apiAddress: '127.0.0.1:9',
      policy: 'all',
    },
  };
}
