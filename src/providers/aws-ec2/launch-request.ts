// Builds the RunInstances request for one server (pure: no AWS calls).
// Precedence, lowest first: fields generated from the config → the
// aws_ec2_config_override JSON (deep-merged) → what poolform must control:
// ClientToken (idempotency), MinCount = MaxCount = 1, and the ownership tags.
import { createHash } from 'node:crypto';
import type { RunInstancesCommandInput, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import type { AwsVmProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { VmCreateRequest } from '../types.ts';
import { deepMerge, isPlainObject, type PlainObject } from './deep-merge.ts';
import { mapToTags, ownershipTags, tagsToMap } from './tags.ts';

/** EC2's user data limit, applied to the rendered script before base64 encoding. */
export const USER_DATA_MAX_BYTES = 16_384;

/** Resource types the instance's tags are also applied to (its root volume). */
const TAGGED_RESOURCE_TYPES = ['instance', 'volume'] as const;

/** Throws PoolformError `user-data-too-large` (before any AWS call) when the rendered script exceeds the limit. */
export function assertUserDataFits(providerName: string, script: string): void {
  const bytes = Buffer.byteLength(script, 'utf8');
  if (bytes > USER_DATA_MAX_BYTES) {
    throw new PoolformError(
      'user-data-too-large',
      `VmProvider ${providerName}: the rendered startup_script is ${bytes} bytes; EC2 user data is limited to ${USER_DATA_MAX_BYTES} bytes. ` +
        'Shorten startup_script (for example, have it download the rest of the setup).',
      { nothingCreated: true, details: { bytes, limit: USER_DATA_MAX_BYTES } },
    );
  }
}

/** The EC2 ClientToken for an intent id: the id itself when it fits (≤ 64 printable ASCII), else its SHA-256. */
export function clientTokenFor(intentId: string): string {
  if (intentId.length > 0 && intentId.length <= 64 && /^[\x21-\x7e]+$/.test(intentId)) return intentId;
  return createHash('sha256').update(intentId).digest('hex');
}

export interface LaunchContext {
  config: AwsVmProvider;
  request: VmCreateRequest;
  /** The AMI's root device name; needed only when an EBS size or type is configured. */
  rootDeviceName?: string;
}

function baseInput(ctx: LaunchContext): PlainObject {
  const { config, request } = ctx;
  const input: PlainObject = {
    ImageId: config.aws_ec2_ami_id,
    InstanceType: config.aws_ec2_instance_type,
    UserData: Buffer.from(request.user_data, 'utf8').toString('base64'),
  };
  if (config.aws_ec2_subnet_id) input['SubnetId'] = config.aws_ec2_subnet_id;
  if (config.aws_ec2_security_group_ids && config.aws_ec2_security_group_ids.length > 0) {
    input['SecurityGroupIds'] = [...config.aws_ec2_security_group_ids];
  }
  if (config.aws_ec2_key_pair_name) input['KeyName'] = config.aws_ec2_key_pair_name;
  if (config.aws_ec2_iam) {
    input['IamInstanceProfile'] = config.aws_ec2_iam.startsWith('arn:') ? { Arn: config.aws_ec2_iam } : { Name: config.aws_ec2_iam };
  }
  if (config.aws_ec2_ebs_volume_size_gb !== undefined || config.aws_ec2_ebs_volume_type !== undefined) {
    if (!ctx.rootDeviceName) {
      throw new PoolformError(
        'aws-ami-root-device',
        `aws_ec2_ami_id ${config.aws_ec2_ami_id}: the AMI has no root device name, so aws_ec2_ebs_volume_size_gb/type cannot be applied`,
      );
    }
    const ebs: PlainObject = { DeleteOnTermination: true };
    if (config.aws_ec2_ebs_volume_size_gb !== undefined) ebs['VolumeSize'] = config.aws_ec2_ebs_volume_size_gb;
    if (config.aws_ec2_ebs_volume_type !== undefined) ebs['VolumeType'] = config.aws_ec2_ebs_volume_type;
    input['BlockDeviceMappings'] = [{ DeviceName: ctx.rootDeviceName, Ebs: ebs }];
  }
  const custom = new Map<string, string>();
  for (const [key, value] of Object.entries(config.aws_ec2_custom_tags ?? {})) {
    if (value !== undefined) custom.set(key, value);
  }
  input['TagSpecifications'] = TAGGED_RESOURCE_TYPES.map((ResourceType) => ({ ResourceType, Tags: mapToTags(custom) }));
  return input;
}

function tagSpecsOf(value: unknown): TagSpecification[] {
  if (!Array.isArray(value)) return [];
  const specs: TagSpecification[] = [];
  for (const item of value) {
    if (!isPlainObject(item)) continue;
    const tags = Array.isArray(item['Tags']) ? item['Tags'].filter(isPlainObject) : [];
    specs.push({
      ResourceType: typeof item['ResourceType'] === 'string' ? (item['ResourceType'] as TagSpecification['ResourceType']) : undefined,
      Tags: tags.map((t): Tag => ({ Key: String(t['Key']), Value: t['Value'] === undefined ? '' : String(t['Value']) })),
    });
  }
  return specs;
}

/**
 * Tag specifications after the override: the generated ones (custom tags),
 * then tags from the override's specs of the same resource type, then the
 * ownership tags, which always win. Override specs for other types are kept.
 */
function finalTagSpecs(generated: TagSpecification[], fromOverride: TagSpecification[], owned: Record<string, string>): TagSpecification[] {
  const byType = new Map<string, Map<string, string>>();
  const order: string[] = [];
  const add = (spec: TagSpecification): void => {
    const type = spec.ResourceType ?? 'instance';
    let tags = byType.get(type);
    if (!tags) {
      tags = new Map();
      byType.set(type, tags);
      order.push(type);
    }
    for (const [k, v] of tagsToMap(spec.Tags)) tags.set(k, v);
  };
  for (const spec of generated) add(spec);
  for (const spec of fromOverride) add(spec);
  return order.map((type) => {
    const tags = byType.get(type) ?? new Map<string, string>();
    if ((TAGGED_RESOURCE_TYPES as readonly string[]).includes(type)) {
      for (const [k, v] of Object.entries(owned)) tags.set(k, v);
    }
    return { ResourceType: type as TagSpecification['ResourceType'], Tags: mapToTags(tags) };
  });
}

export function buildRunInstancesInput(ctx: LaunchContext): RunInstancesCommandInput {
  const base = baseInput(ctx);
  const override = isPlainObject(ctx.config.aws_ec2_config_override) ? ctx.config.aws_ec2_config_override : {};
  const merged = deepMerge(base, override);
  const generatedSpecs = tagSpecsOf(base['TagSpecifications']);
  const overrideSpecs = tagSpecsOf(override['TagSpecifications']);
  merged['TagSpecifications'] = finalTagSpecs(generatedSpecs, overrideSpecs, ownershipTags(ctx.config.name, ctx.request));
  merged['ClientToken'] = clientTokenFor(ctx.request.intent_id);
  merged['MinCount'] = 1;
  merged['MaxCount'] = 1;
  // The override is free JSON in RunInstances' own shape; AWS validates it.
  return merged as unknown as RunInstancesCommandInput;
}

/** Bytes of user data a request would send (decoded), for the final size check after the override. */
export function userDataSize(input: RunInstancesCommandInput): number {
  return input.UserData ? Buffer.from(input.UserData, 'base64').length : 0;
}
