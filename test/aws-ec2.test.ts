// The EC2 VM provider against moto's standalone server: the shared conformance
// suite, every launch field, the user-data limit, idempotency, max_instances,
// pagination, termination, capacity, and AWS failure modes injected through
// SDK middleware.
import { randomBytes } from 'node:crypto';
import {
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsVmProvider } from '../src/generated/config.ts';
import { defineVmProviderConformance } from '../src/providers/conformance.ts';
import { clearEc2Caches, createEc2Client, createEc2VmProvider, type Ec2VmProviderOptions } from '../src/providers/aws-ec2/index.ts';
import type { VmCreateRequest, VmProviderClient } from '../src/providers/types.ts';
import { renderTemplate } from '../src/template/startup-script.ts';
import { isPoolformError, type PoolformError } from '../src/util/errors.ts';
import {
  awsError,
  captureInputs,
  countAttempts,
  countCalls,
  createInstanceProfile,
  FAKE_CREDENTIALS,
  injectFaults,
  motoAmi,
  motoForSuite,
  requireMoto,
} from './support/moto.ts';

const enabled = requireMoto();
const hex = (n: number): string => randomBytes(n).toString('hex');
const FAST_RETRY = { baseDelayMs: 5, throttlingBaseDelayMs: 10, maxDelayMs: 100 };

// AMI validation on: RunInstances with an unknown AMI fails like real EC2.
const moto = motoForSuite(enabled, { env: { MOTO_ENABLE_AMI_VALIDATION: 'true' } });
const endpoint = moto.endpoint;
let ami = '';

beforeAll(async () => {
  if (!enabled) return;
  ami = await motoAmi(sdk());
  expect(ami).not.toBe('');
});

/** A plain SDK client (no poolform logic) for arranging and inspecting moto. */
function sdk(): EC2Client {
  return new EC2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS });
}

function awsConfig(over: Partial<AwsVmProvider> = {}): AwsVmProvider {
  return {
    kind: 'VmProvider',
    name: `aws-${hex(4)}`,
    type: 'aws',
    max_instances: 50,
    startup_script: '#!/bin/sh\necho {server_id}\n',
    aws_region: 'us-east-1',
    aws_ec2_ami_id: ami,
    aws_ec2_instance_type: 't3.medium',
    endpoint: endpoint(),
    ...over,
  };
}

interface Harness {
  provider: VmProviderClient;
  client: EC2Client;
  config: AwsVmProvider;
}

function harness(over: Partial<AwsVmProvider> = {}, options: Partial<Ec2VmProviderOptions> = {}): Harness {
  const config = awsConfig(over);
  const client = createEc2Client({ region: config.aws_region, endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: FAST_RETRY });
  return { provider: createEc2VmProvider({ config, client, ...options }), client, config };
}

function request(over: Partial<VmCreateRequest> = {}): VmCreateRequest {
  const id = hex(4);
  return {
    intent_id: `intent-${hex(8)}`,
    server_id: `srv-${id}`,
    hostname: `pf-${id}`,
    pool: 'pool-a',
    autoscale: 'as-a',
    user_data: '#!/bin/sh\necho hello\n',
    ...over,
  };
}

async function describeInstance(id: string): Promise<Instance> {
  const out = await sdk().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`instance ${id} not found`);
  return instance;
}

function tagsOf(instance: Instance): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

async function rejection(promise: Promise<unknown>): Promise<PoolformError> {
  try {
    await promise;
  } catch (error) {
    if (isPoolformError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

defineVmProviderConformance('aws-ec2 (moto)', async () => {
  if (!enabled) return null;
  const h = harness();
  return {
    client: h.provider,
    async createForeign() {
      // An instance poolform did not launch: no ownership tags.
      const out = await sdk().send(
        new RunInstancesCommand({
          ImageId: ami,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'hand-made' }] }],
        }),
      );
      return { provider_id: out.Instances?.[0]?.InstanceId ?? 'missing' };
    },
  };
});

describe.skipIf(!enabled)('EC2 provider against moto', () => {
  beforeEach(() => {
    clearEc2Caches();
  });

  it('launches with every configured field, ownership tags and the rendered user data', async () => {
    const ec2 = sdk();
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.20.1.0/24' }));
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: `sg-${hex(3)}`, Description: 'poolform test', VpcId: vpc.Vpc?.VpcId }));
    const keyName = `key-${hex(3)}`;
    await ec2.send(new CreateKeyPairCommand({ KeyName: keyName }));
    const profileArn = await createInstanceProfile(endpoint(), `profile-${hex(3)}`);
    const subnetId = subnet.Subnet?.SubnetId ?? '';
    const sgId = sg.GroupId ?? '';

    const h = harness({
      aws_ec2_instance_type: 't3.large',
      aws_ec2_subnet_id: subnetId,
      aws_ec2_security_group_ids: [sgId],
      aws_ec2_key_pair_name: keyName,
      aws_ec2_iam: profileArn,
      aws_ec2_ebs_volume_size_gb: 64,
      aws_ec2_ebs_volume_type: 'gp3',
      aws_ec2_custom_tags: { CostCenter: 'vdi', Owner: 'desktop-team' },
      aws_ec2_config_override: {
        Monitoring: { Enabled: true },
        TagSpecifications: [
          // An override tag is added; an attempt to overwrite an ownership tag loses.
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Team', Value: 'blue' },
              { Key: 'poolform:managed', Value: 'false' },
              { Key: 'Owner', Value: 'override' },
            ],
          },
        ],
      },
    });
    const sent = captureInputs(h.client, 'RunInstances');

    const template = '#!/bin/sh\necho "server={server_id} host={server_hostname} provider={provider_name}"\necho {{literal}}\n';
    const req = request();
    const userData = renderTemplate(template, { server_id: req.server_id, server_hostname: req.hostname, provider_name: 'aws' });
    const vm = await h.provider.create({ ...req, user_data: userData });

    expect(vm).toMatchObject({ server_id: req.server_id, hostname: req.hostname, pool: 'pool-a', autoscale: 'as-a', intent_id: req.intent_id });
    const instance = await describeInstance(vm.provider_id);
    expect(instance.ImageId).toBe(ami);
    expect(instance.InstanceType).toBe('t3.large');
    expect(instance.SubnetId).toBe(subnetId);
    expect(instance.SecurityGroups?.map((g) => g.GroupId)).toEqual([sgId]);
    expect(instance.KeyName).toBe(keyName);
    expect(instance.IamInstanceProfile?.Arn).toBe(profileArn);
    expect(instance.Monitoring?.State).toBe('enabled');
    expect(tagsOf(instance)).toEqual({
      CostCenter: 'vdi',
      Owner: 'override',
      Team: 'blue',
      'poolform:managed': 'true',
      'poolform:provider': h.config.name,
      'poolform:pool': 'pool-a',
      'poolform:autoscale': 'as-a',
      'poolform:server-id': req.server_id,
      'poolform:intent-id': req.intent_id,
      Name: req.hostname,
    });

    // User data: the rendered script, base64, variables substituted.
    const attribute = await sdk().send(new DescribeInstanceAttributeCommand({ InstanceId: vm.provider_id, Attribute: 'userData' }));
    const decoded = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8');
    expect(decoded).toBe(userData);
    expect(decoded).toContain(`server=${req.server_id} host=${req.hostname} provider=aws`);
    expect(decoded).toContain('echo {literal}');

    // Root volume from the AMI's root device name, with the configured size and type.
    const images = await sdk().send(new DescribeImagesCommand({ ImageIds: [ami] }));
    const rootDevice = images.Images?.[0]?.RootDeviceName;
    expect(sent[0]?.['BlockDeviceMappings']).toEqual([{ DeviceName: rootDevice, Ebs: { DeleteOnTermination: true, VolumeSize: 64, VolumeType: 'gp3' } }]);
    const volumeId = instance.BlockDeviceMappings?.find((m) => m.DeviceName === rootDevice)?.Ebs?.VolumeId;
    expect(volumeId).toBeDefined();
    const volumes = await sdk().send(new DescribeVolumesCommand({ VolumeIds: [volumeId ?? ''] }));
    expect(volumes.Volumes?.[0]).toMatchObject({ Size: 64, VolumeType: 'gp3' });

    // ClientToken is the intent id; one instance per request.
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ ClientToken: req.intent_id, MinCount: 1, MaxCount: 1 });
  });

  describe('credentials', () => {
    // The SDK's default chain reads the environment itself; keep it hermetic.
    beforeEach(() => {
      for (const name of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_PROFILE',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      ]) {
        vi.stubEnv(name, undefined);
      }
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/poolform-test-credentials');
      vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/poolform-test-config');
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('keys from the config (as read from files, trailing newline and all) are used', async () => {
      const provider = createEc2VmProvider({
        config: awsConfig(),
        credentials: { accessKeyId: `${FAKE_CREDENTIALS.accessKeyId}\n`, secretAccessKey: `${FAKE_CREDENTIALS.secretAccessKey}\n` },
      });
      expect(Array.isArray(await provider.observe())).toBe(true);
    });

    it("without keys in the config the SDK's default chain is used; with none anywhere the error says what to set", async () => {
      const none = await rejection(createEc2VmProvider({ config: awsConfig() }).observe());
      expect([none.code, none.retryable]).toEqual(['aws-no-credentials', false]);
      expect(none.message).toContain('access_key_id and secret_access_key');
      expect(none.message).toContain('default chain');

      vi.stubEnv('AWS_ACCESS_KEY_ID', FAKE_CREDENTIALS.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', FAKE_CREDENTIALS.secretAccessKey);
      const fromEnv = createEc2VmProvider({ config: awsConfig() });
      expect(Array.isArray(await fromEnv.observe())).toBe(true);
    });
  });

  it('accepts an instance profile by name', async () => {
    const name = `profile-${hex(3)}`;
    await createInstanceProfile(endpoint(), name);
    const h = harness({ aws_ec2_iam: name });
    const vm = await h.provider.create(request());
    expect((await describeInstance(vm.provider_id)).IamInstanceProfile?.Arn).toContain(`instance-profile/${name}`);
  });

  it('refuses user data over 16,384 bytes before calling AWS; 16,384 bytes exactly is accepted', async () => {
    const h = harness();
    const calls = countCalls(h.client);
    // 'é' is two bytes in UTF-8: 8,192 of them are exactly at the limit.
    const atLimit = 'é'.repeat(8192);
    const error = await rejection(h.provider.create(request({ user_data: `${atLimit}x` })));
    expect(error.code).toBe('user-data-too-large');
    expect(error.message).toContain('16385 bytes');
    expect(error.message).toContain('startup_script');
    expect(error.message).not.toContain('é');
    expect(calls.total()).toBe(0);

    const vm = await h.provider.create(request({ user_data: atLimit }));
    const attribute = await sdk().send(new DescribeInstanceAttributeCommand({ InstanceId: vm.provider_id, Attribute: 'userData' }));
    expect(Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8')).toBe(atLimit);
  });

  it('a launch retried after a crash (new process, same intent id) returns the same instance', async () => {
    const config = awsConfig();
    const req = request();
    const first = await createEc2VmProvider({ config, credentials: FAKE_CREDENTIALS }).create(req);
    // A fresh provider (no memory of the first launch) retries the same intent.
    const h = harness({ name: config.name });
    const calls = countCalls(h.client);
    const again = await h.provider.create(req);
    expect(again.provider_id).toBe(first.provider_id);
    expect(calls.count('RunInstances')).toBe(0);
    const live = (await h.provider.observe()).filter((vm) => vm.server_id === req.server_id);
    expect(live.map((vm) => vm.provider_id)).toEqual([first.provider_id]);
  });

  it('concurrent creates of one intent make one instance', async () => {
    const h = harness();
    const calls = countCalls(h.client);
    const req = request();
    const results = await Promise.all([h.provider.create(req), h.provider.create(req), h.provider.create(req)]);
    expect(new Set(results.map((r) => r.provider_id)).size).toBe(1);
    expect(calls.count('RunInstances')).toBe(1);
  });

  it('enforces max_instances from what exists, not from memory', async () => {
    const config = awsConfig({ max_instances: 2 });
    const a = createEc2VmProvider({ config, credentials: FAKE_CREDENTIALS });
    await a.create(request());
    await a.create(request());
    // A new process: no memory of the two launches.
    const h = harness({ name: config.name, max_instances: 2 });
    const calls = countCalls(h.client);
    const refused = await rejection(h.provider.create(request()));
    expect(refused.code).toBe('max-instances-reached');
    expect(refused.nothingCreated).toBe(true);
    expect(refused.message).toContain('max_instances (2)');
    expect(calls.count('RunInstances')).toBe(0);

    // Terminating one frees a slot.
    const [one] = await h.provider.observe();
    if (!one) throw new Error('expected instances');
    expect((await h.provider.destroy([{ provider_id: one.provider_id, server_id: one.server_id }]))[0]?.error).toBeUndefined();
    await h.provider.create(request());
  });

  it('concurrent creates never exceed max_instances', async () => {
    const h = harness({ max_instances: 3 });
    const settled = await Promise.allSettled(Array.from({ length: 6 }, () => h.provider.create(request())));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as PoolformError] : []));
    expect(refused.map((e) => e.code)).toEqual(['max-instances-reached', 'max-instances-reached', 'max-instances-reached']);
    expect((await h.provider.observe()).filter((vm) => vm.state !== 'terminated')).toHaveLength(3);
  });

  it('observe pages through DescribeInstances and maps states', async () => {
    await moto.server()?.reset(); // only this test's instances in the listing
    const h = harness({}, { pageSize: 5 });
    const created = [];
    for (let i = 0; i < 12; i++) created.push(await h.provider.create(request()));
    const calls = countCalls(h.client);
    const seen = await h.provider.observe();
    expect(seen.map((vm) => vm.provider_id).sort()).toEqual(created.map((vm) => vm.provider_id).sort());
    // moto pages by reservation (one per launch): 12 / 5 → 3 pages.
    expect(calls.count('DescribeInstances')).toBe(3);
    expect(calls.total()).toBe(3);
    expect(seen.every((vm) => vm.state === 'running' && vm.private_ip !== null && vm.launched_at !== null)).toBe(true);

    const [gone, halted] = created;
    if (!gone || !halted) throw new Error('expected instances');
    await h.provider.destroy([{ provider_id: gone.provider_id, server_id: gone.server_id }]);
    // Stopped behind poolform's back: observed as such (a state, not gone).
    await sdk().send(new StopInstancesCommand({ InstanceIds: [halted.provider_id] }));
    const after = await h.provider.observe();
    expect(after.find((vm) => vm.provider_id === gone.provider_id)?.state).toBe('terminated');
    expect(after.find((vm) => vm.provider_id === halted.provider_id)?.state).toBe('stopped');
  });

  it('destroy terminates in one batch, treats unknown ids as gone and never touches instances it does not own', async () => {
    const h = harness();
    const vms = await Promise.all([h.provider.create(request()), h.provider.create(request()), h.provider.create(request())]);
    const foreign = await sdk().send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'not-poolform' }] }],
      }),
    );
    const foreignId = foreign.Instances?.[0]?.InstanceId ?? '';
    const calls = countCalls(h.client);
    const refs = [
      ...vms.map((vm) => ({ provider_id: vm.provider_id, server_id: vm.server_id })),
      { provider_id: 'i-0123456789abcdef0', server_id: 'srv-unknown' },
      { provider_id: foreignId, server_id: 'srv-foreign' },
    ];
    const results = await h.provider.destroy(refs);
    expect(results.map((r) => r.item)).toEqual(refs);
    expect(results.slice(0, 4).map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect((results[4]?.error as PoolformError | undefined)?.code).toBe('not-owned');
    expect(calls.count('TerminateInstances')).toBe(1);
    expect((await describeInstance(foreignId)).State?.Name).toBe('running');
    for (const vm of vms) expect((await describeInstance(vm.provider_id)).State?.Name).toBe('terminated');
    // Again, from a process that never saw them: already terminated = success, no TerminateInstances call.
    const fresh = harness({ name: h.config.name });
    const freshCalls = countCalls(fresh.client);
    const again = await fresh.provider.destroy(refs.slice(0, 4));
    expect(again.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(freshCalls.count('TerminateInstances')).toBe(0);
  });

  it('capacity comes from DescribeInstanceTypes, cached per process', async () => {
    const gpu = harness({ aws_ec2_instance_type: 'g4dn.xlarge' });
    const calls = countCalls(gpu.client);
    expect(await gpu.provider.capacity()).toEqual({ cores: 4, memory_mb: 16_384, gpus: 1 });
    const again = harness({ aws_ec2_instance_type: 'g4dn.xlarge' });
    const againCalls = countCalls(again.client);
    expect(await again.provider.capacity()).toEqual({ cores: 4, memory_mb: 16_384, gpus: 1 });
    expect(calls.count('DescribeInstanceTypes') + againCalls.count('DescribeInstanceTypes')).toBe(1);
    expect(await harness().provider.capacity()).toEqual({ cores: 2, memory_mb: 4096, gpus: 0 });
  });

  it('an unknown AMI fails with a message naming aws_ec2_ami_id', async () => {
    const plain = harness({ aws_ec2_ami_id: 'ami-12345678' });
    const error = await rejection(plain.provider.create(request()));
    expect(error.code).toBe('aws-invalid-ami');
    expect(error.message).toContain('aws_ec2_ami_id ami-12345678 does not exist in us-east-1');
    expect(error.retryable).toBe(false);
    // With an EBS size the AMI is looked up first (root device name): same message.
    const ebs = harness({ aws_ec2_ami_id: 'ami-87654321', aws_ec2_ebs_volume_size_gb: 40 });
    const ebsError = await rejection(ebs.provider.create(request()));
    expect(ebsError.code).toBe('aws-invalid-ami');
    expect(ebsError.message).toContain('aws_ec2_ami_id ami-87654321 does not exist in us-east-1');
  });

  it('a missing instance profile names aws_ec2_iam', async () => {
    const h = harness({ aws_ec2_iam: `missing-${hex(3)}` });
    const error = await rejection(h.provider.create(request()));
    expect(error.code).toBe('aws-invalid-iam-profile');
    expect(error.message).toContain('aws_ec2_iam');
  });

  it('throttling is retried with backoff and the launch succeeds, once', async () => {
    const h = harness();
    let throttled = 0;
    injectFaults(h.client, (command) => {
      if ((command === 'RunInstances' || command === 'DescribeInstances') && throttled < 4) {
        throttled++;
        return awsError(command === 'RunInstances' ? 'RequestLimitExceeded' : 'Throttling', 'Request limit exceeded.', 503);
      }
      return undefined;
    });
    const attempts = countAttempts(h.client);
    const calls = countCalls(h.client);
    const req = request();
    const vm = await h.provider.create(req);
    expect(throttled).toBe(4);
    expect(calls.count('RunInstances')).toBe(1);
    expect(attempts.count('RunInstances') + attempts.count('DescribeInstances')).toBe(6);
    const live = (await h.provider.observe()).filter((v) => v.server_id === req.server_id);
    expect(live.map((v) => v.provider_id)).toEqual([vm.provider_id]);
  });

  it('throttling that never ends surfaces as a retryable error after bounded attempts', async () => {
    const config = awsConfig();
    const client = createEc2Client({ region: 'us-east-1', endpoint: endpoint(), credentials: FAKE_CREDENTIALS, retry: { ...FAST_RETRY, maxAttempts: 3 } });
    injectFaults(client, () => awsError('RequestLimitExceeded', 'Request limit exceeded.', 503));
    const attempts = countAttempts(client);
    const error = await rejection(createEc2VmProvider({ config, client }).observe());
    expect(error.code).toBe('aws-throttled');
    expect(error.retryable).toBe(true);
    expect(attempts.count('DescribeInstances')).toBe(3);
  });

  it('throttling raised outside the SDK retry loop is retried by the provider', async () => {
    const h = harness({}, { retry: FAST_RETRY });
    let throttled = 0;
    injectFaults(
      h.client,
      (command) => (command === 'RunInstances' && throttled++ < 2 ? awsError('RequestLimitExceeded', 'Request limit exceeded.', 503) : undefined),
      { outsideRetries: true },
    );
    const calls = countCalls(h.client);
    const vm = await h.provider.create(request());
    expect(throttled).toBe(3);
    expect(calls.count('RunInstances')).toBe(3);
    expect((await describeInstance(vm.provider_id)).State?.Name).toBe('running');
  });

  it('a capacity error fails only its own launch, at once, with a clear retryable error; the others complete', async () => {
    const h = harness();
    const unlucky = request();
    injectFaults(h.client, (command, input) =>
      command === 'RunInstances' && input['ClientToken'] === unlucky.intent_id
        ? awsError('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.medium capacity in the Availability Zone you requested.', 500)
        : undefined,
    );
    const attempts = countAttempts(h.client);
    const others = [request(), request(), request()];
    const settled = await Promise.allSettled([h.provider.create(unlucky), ...others.map((r) => h.provider.create(r))]);
    const [failed, ...rest] = settled;
    expect(failed?.status).toBe('rejected');
    const error = (failed as PromiseRejectedResult).reason as PoolformError;
    expect(error.code).toBe('aws-insufficient-capacity');
    expect(error.retryable).toBe(true);
    // Retry later, but nothing was launched: no instance can appear for that intent.
    expect(error.nothingCreated).toBe(true);
    expect(error.message).toContain('aws_ec2_instance_type t3.medium');
    expect(rest.every((s) => s.status === 'fulfilled')).toBe(true);
    // Not retried by the SDK (the autoscaler retries later with backoff).
    expect(attempts.count('RunInstances')).toBe(4);
    const seen = await h.provider.observe();
    expect(seen.map((vm) => vm.server_id).sort()).toEqual(others.map((r) => r.server_id).sort());
  });

  it('limit and permission errors name what to fix', async () => {
    const cases: [string, string, string, boolean][] = [
      ['InstanceLimitExceeded', 'aws-instance-limit', 'max_instances', true],
      ['UnauthorizedOperation', 'aws-unauthorized', 'ec2:RunInstances', false],
      ['InvalidSubnetID.NotFound', 'aws-invalid-subnet', 'aws_ec2_subnet_id', false],
      ['InvalidKeyPair.NotFound', 'aws-invalid-key-pair', 'aws_ec2_key_pair_name', false],
    ];
    for (const [awsCode, code, mention, retryable] of cases) {
      const h = harness();
      injectFaults(h.client, (command) => (command === 'RunInstances' ? awsError(awsCode, `${awsCode} from AWS`) : undefined));
      const error = await rejection(h.provider.create(request()));
      expect([error.code, error.retryable]).toEqual([code, retryable]);
      expect(error.message).toContain(mention);
      expect(error.message).toContain(h.config.name);
    }
  });
});
