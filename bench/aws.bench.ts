// Benchmark: one reconcile (plan + apply, the code `poolform apply` runs)
// that creates 200 EC2 instances and 200 Route 53 records against moto, then
// a steady-state reconcile with nothing to do. Reports wall time and AWS API
// calls per VM. Baseline in the same run: a bare DescribeRegions round trip to
// the same moto server, so the ratio says how many "round trips" a VM costs.
// Needs moto (`pip install 'moto[server]'`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { reconcileOnce } from '../src/apply/reconcile.ts';
import { loadConfig } from '../src/config/load.ts';
import { createEc2Client, createEc2VmProvider } from '../src/providers/aws-ec2/index.ts';
import { createProviderRegistry } from '../src/providers/registry.ts';
import { createRoute53Client, createRoute53DnsProvider } from '../src/providers/route53/index.ts';
import { createSeededIdGen } from '../src/plan/names.ts';
import { createSqliteStore } from '../src/state/sqlite-store.ts';
import { countCalls, FAKE_CREDENTIALS, MOTO_INSTALL_HINT, motoAmi, motoAvailable, startMoto } from '../test/support/moto.ts';

const VMS = 200;
const BASE = 'bench.poolform.test';

if (!motoAvailable()) {
  process.stdout.write(`moto is not installed (${MOTO_INSTALL_HINT}); skipping\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'aws', skipped: true, reason: 'moto not installed' })}\n`);
  process.exit(0);
}

const moto = await startMoto();
const root = mkdtempSync(join(tmpdir(), 'poolform-aws-bench-'));
try {
  const raw = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: FAKE_CREDENTIALS });
  const ami = await motoAmi(raw);
  await new Route53Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: FAKE_CREDENTIALS }).send(
    new CreateHostedZoneCommand({ Name: BASE, CallerReference: 'bench' }),
  );

  // Baseline: bare SDK round trips to the same emulator.
  for (let i = 0; i < 5; i++) await raw.send(new DescribeRegionsCommand({}));
  const baselineRuns = 50;
  const baseStart = performance.now();
  for (let i = 0; i < baselineRuns; i++) await raw.send(new DescribeRegionsCommand({}));
  const roundTripMs = (performance.now() - baseStart) / baselineRuns;
  process.stdout.write(`baseline: DescribeRegions round trip ${roundTripMs.toFixed(2)} ms (mean of ${baselineRuns})\n`);

  writeFileSync(
    join(root, 'config.yaml'),
    `kind: Pool
name: bench
type: server
autoscale:
  - name: fleet
    vm_provider: aws
    dns_provider: r53
    register_dns: true
    base_domain_name: ${BASE}
    connection_type: ssh
    connection_port: 22
    minimum_available_sessions: ${VMS}
    max_simultaneous_sessions_per_server: 1
    reusable: true
    require_checkin: false
---
kind: VmProvider
name: aws
type: aws
max_instances: ${VMS + 50}
aws_region: us-east-1
aws_ec2_ami_id: ${ami}
aws_ec2_instance_type: t3.medium
aws_ec2_ebs_volume_size_gb: 40
endpoint: ${moto.endpoint}
startup_script: |
  #!/bin/sh
  echo "{server_id} {server_hostname} {server_external_fqdn} {checkin_jwt}"
---
kind: DnsProvider
name: r53
type: route53
endpoint: ${moto.endpoint}
`,
  );
  const loaded = await loadConfig(root);
  if (!loaded.config) throw new Error(`bench config invalid: ${JSON.stringify(loaded.diagnostics)}`);
  const config = loaded.config;

  const ec2Client = createEc2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: FAKE_CREDENTIALS });
  const r53Client = createRoute53Client({ endpoint: moto.endpoint, credentials: FAKE_CREDENTIALS });
  const ec2Calls = countCalls(ec2Client);
  const r53Calls = countCalls(r53Client);
  const registry = createProviderRegistry({
    config,
    stateDir: join(root, 'state'),
    env: {},
    factories: {
      awsVm: (options) => createEc2VmProvider({ ...options, client: ec2Client }),
      route53: (options) => createRoute53DnsProvider({ ...options, client: r53Client }),
    },
  });
  const store = await createSqliteStore({ path: join(root, 'state') });
  let seq = 0;
  const deps = {
    config,
    store,
    registry,
    clock: () => new Date(),
    idGen: createSeededIdGen(1),
    newId: () => `bench-intent-${++seq}`,
    env: {},
    apiAddress: '127.0.0.1:9',
    policy: 'all' as const,
  };

  try {
    const applyStart = performance.now();
    const first = await reconcileOnce(deps);
    const applyMs = performance.now() - applyStart;
    if (first.applied.failures.length > 0) throw new Error(`apply failed: ${JSON.stringify(first.applied.failures.slice(0, 3))}`);
    const applyCalls = { ...ec2Calls.all(), ...r53Calls.all() };
    const applyTotal = ec2Calls.total() + r53Calls.total();
    process.stdout.write(`apply: ${first.applied.summary.added} resources added in ${(applyMs / 1000).toFixed(2)} s\n`);
    process.stdout.write(`apply: ${applyTotal} AWS API calls (${(applyTotal / VMS).toFixed(2)} per VM+record): ${JSON.stringify(applyCalls)}\n`);

    ec2Calls.reset();
    r53Calls.reset();
    const steadyStart = performance.now();
    const steady = await reconcileOnce(deps);
    const steadyMs = performance.now() - steadyStart;
    const steadyTotal = ec2Calls.total() + r53Calls.total();
    process.stdout.write(
      `steady state: ${steady.plan.changes.length} changes, ${steadyTotal} API calls ${JSON.stringify({ ...ec2Calls.all(), ...r53Calls.all() })} in ${steadyMs.toFixed(0)} ms\n`,
    );

    const perVmMs = applyMs / VMS;
    process.stdout.write(`per VM (+ record): ${perVmMs.toFixed(1)} ms wall = ${(perVmMs / roundTripMs).toFixed(1)} bare round trips\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'aws',
        vms: VMS,
        records: VMS,
        resources_added: first.applied.summary.added,
        apply_wall_ms: Math.round(applyMs),
        api_calls: applyTotal,
        api_calls_per_vm: Number((applyTotal / VMS).toFixed(3)),
        calls_by_operation: applyCalls,
        steady_state_api_calls: steadyTotal,
        steady_state_wall_ms: Math.round(steadyMs),
        baseline_roundtrip_ms: Number(roundTripMs.toFixed(3)),
        wall_per_vm_ms: Number(perVmMs.toFixed(2)),
        ratio_wall_per_vm_to_roundtrip: Number((perVmMs / roundTripMs).toFixed(2)),
      })}\n`,
    );
  } finally {
    await store.close();
  }
} finally {
  await moto.stop();
  rmSync(root, { recursive: true, force: true });
}
