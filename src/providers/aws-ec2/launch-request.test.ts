import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AwsVmProvider } from '../../generated/config.ts';
import type { VmCreateRequest } from '../types.ts';
import { deepMerge } from './deep-merge.ts';
import { assertUserDataFits, buildRunInstancesInput, clientTokenFor, USER_DATA_MAX_BYTES } from './launch-request.ts';

const config = (over: Partial<AwsVmProvider> = {}): AwsVmProvider => ({
  kind: 'VmProvider',
  name: 'aws-main',
  type: 'aws',
  max_instances: 10,
  startup_script: '',
  aws_region: 'eu-west-1',
  aws_ec2_ami_id: 'ami-0abc',
  aws_ec2_instance_type: 't3.medium',
  ...over,
});

const request: VmCreateRequest = {
  intent_id: 'intent-1',
  server_id: 'srv-1',
  hostname: 'pf-1',
  pool: 'pool',
  autoscale: 'as',
  user_data: '#!/bin/sh\necho hi\n',
};

function tags(input: ReturnType<typeof buildRunInstancesInput>, type: string): Record<string, string | undefined> {
  const spec = input.TagSpecifications?.find((s) => s.ResourceType === type);
  return Object.fromEntries((spec?.Tags ?? []).map((t) => [t.Key ?? '', t.Value]));
}

describe('buildRunInstancesInput', () => {
  it('maps every config field', () => {
    const input = buildRunInstancesInput({
      config: config({
        aws_ec2_subnet_id: 'subnet-1',
        aws_ec2_security_group_ids: ['sg-1', 'sg-2'],
        aws_ec2_key_pair_name: 'ops',
        aws_ec2_iam: 'arn:aws:iam::123456789012:instance-profile/vdi',
        aws_ec2_ebs_volume_size_gb: 80,
        aws_ec2_ebs_volume_type: 'io2',
        aws_ec2_custom_tags: { Env: 'prod' },
      }),
      request,
      rootDeviceName: '/dev/xvda',
    });
    expect(input).toMatchObject({
      ImageId: 'ami-0abc',
      InstanceType: 't3.medium',
      SubnetId: 'subnet-1',
      SecurityGroupIds: ['sg-1', 'sg-2'],
      KeyName: 'ops',
      IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/vdi' },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 80, VolumeType: 'io2', DeleteOnTermination: true } }],
      ClientToken: 'intent-1',
      MinCount: 1,
      MaxCount: 1,
    });
    expect(Buffer.from(input.UserData ?? '', 'base64').toString('utf8')).toBe(request.user_data);
    for (const type of ['instance', 'volume']) {
      expect(tags(input, type)).toEqual({
        Env: 'prod',
        'poolform:managed': 'true',
        'poolform:provider': 'aws-main',
        'poolform:pool': 'pool',
        'poolform:autoscale': 'as',
        'poolform:server-id': 'srv-1',
        'poolform:intent-id': 'intent-1',
        Name: 'pf-1',
      });
    }
  });

  it('passes an instance profile name as Name; omits unset fields', () => {
    const input = buildRunInstancesInput({ config: config({ aws_ec2_iam: 'vdi-profile' }), request });
    expect(input.IamInstanceProfile).toEqual({ Name: 'vdi-profile' });
    for (const key of ['SubnetId', 'SecurityGroupIds', 'KeyName', 'BlockDeviceMappings']) expect(input).not.toHaveProperty(key);
  });

  it('needs the root device name when an EBS size or type is set', () => {
    expect(() => buildRunInstancesInput({ config: config({ aws_ec2_ebs_volume_type: 'gp3' }), request })).toThrow(/root device/);
  });

  it('deep-merges the override, but ClientToken, counts and ownership tags always win', () => {
    const input = buildRunInstancesInput({
      config: config({
        aws_ec2_custom_tags: { Env: 'prod', Team: 'a' },
        aws_ec2_config_override: {
          InstanceType: 'm5.large',
          ClientToken: 'mine',
          MaxCount: 5,
          MetadataOptions: { HttpTokens: 'required' },
          Placement: { AvailabilityZone: 'eu-west-1b' },
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'Team', Value: 'b' },
                { Key: 'Name', Value: 'hijack' },
                { Key: 'poolform:server-id', Value: 'x' },
              ],
            },
            { ResourceType: 'network-interface', Tags: [{ Key: 'Nic', Value: '1' }] },
          ],
        },
      }),
      request,
    });
    expect(input).toMatchObject({
      InstanceType: 'm5.large',
      ClientToken: 'intent-1',
      MinCount: 1,
      MaxCount: 1,
      MetadataOptions: { HttpTokens: 'required' },
      Placement: { AvailabilityZone: 'eu-west-1b' },
    });
    expect(tags(input, 'instance')).toMatchObject({ Env: 'prod', Team: 'b', Name: 'pf-1', 'poolform:server-id': 'srv-1' });
    expect(tags(input, 'volume')).toMatchObject({ Env: 'prod', Team: 'a', Name: 'pf-1' });
    expect(tags(input, 'network-interface')).toEqual({ Nic: '1' });
  });
});

describe('user data limit', () => {
  it('accepts exactly 16,384 bytes and refuses one more (counted in UTF-8 bytes)', () => {
    expect(() => assertUserDataFits('p', 'a'.repeat(USER_DATA_MAX_BYTES))).not.toThrow();
    expect(() => assertUserDataFits('p', 'a'.repeat(USER_DATA_MAX_BYTES + 1))).toThrow(expect.objectContaining({ code: 'user-data-too-large' }));
    expect(() => assertUserDataFits('p', '€'.repeat(5462))).toThrow(/16386 bytes/);
  });
});

describe('clientTokenFor', () => {
  it('uses the intent id when EC2 accepts it, else a stable 64-char hash', () => {
    expect(clientTokenFor('0b7c8a4e-1d2f-4c55-9a3e-2f1e0d9c8b7a')).toBe('0b7c8a4e-1d2f-4c55-9a3e-2f1e0d9c8b7a');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (id) => {
        const token = clientTokenFor(id);
        expect(token.length).toBeLessThanOrEqual(64);
        expect(token).toMatch(/^[\x21-\x7e]+$/);
        expect(clientTokenFor(id)).toBe(token);
      }),
    );
  });
});

describe('deepMerge', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  const objects = fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 5 });

  it('override values win, base-only keys are kept, inputs are not mutated', () => {
    fc.assert(
      fc.property(objects, objects, (base, override) => {
        const before = JSON.stringify([base, override]);
        const merged = deepMerge(base, override);
        expect(JSON.stringify([base, override])).toBe(before);
        for (const key of Object.keys(base))
          if (!(key in override) && !['__proto__', 'constructor', 'prototype'].includes(key)) expect(merged[key]).toEqual(base[key]);
        for (const [key, value] of Object.entries(override)) {
          if (['__proto__', 'constructor', 'prototype'].includes(key)) continue;
          const isObj = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
          if (!(isObj(value) && isObj(base[key]))) expect(merged[key]).toEqual(value);
        }
      }),
    );
  });

  it('merges nested objects and replaces arrays', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 } })).toEqual({ a: { b: 1, c: [3], e: 2 }, d: 1 });
  });

  it('ignores prototype-polluting keys', () => {
    const merged = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(merged)).toEqual([]);
  });
});
