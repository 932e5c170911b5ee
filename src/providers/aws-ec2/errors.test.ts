import { describe, expect, it } from 'vitest';
import type { AwsVmProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import { toEc2Error } from './errors.ts';

const config: AwsVmProvider = {
  kind: 'VmProvider',
  name: 'aws-main',
  type: 'aws',
  max_instances: 4,
  startup_script: '',
  aws_region: 'us-east-1',
  aws_ec2_ami_id: 'ami-123',
  aws_ec2_instance_type: 'c5.xlarge',
  aws_ec2_subnet_id: 'subnet-9',
  access_key_id: '${env:AWS_KEY}',
  secret_access_key: '${env:AWS_SECRET}',
};

const awsError = (code: string, message = `${code} message`, status = 400): Error =>
  Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' });

describe('toEc2Error', () => {
  it.each([
    ['InvalidAMIID.NotFound', 'aws-invalid-ami', 'aws_ec2_ami_id ami-123 does not exist in us-east-1', false],
    ['InvalidAMIID.Malformed', 'aws-invalid-ami', 'aws_ec2_ami_id ami-123 is not a valid AMI id', false],
    ['InsufficientInstanceCapacity', 'aws-insufficient-capacity', 'aws_ec2_instance_type c5.xlarge in us-east-1 (aws_ec2_subnet_id subnet-9)', true],
    ['InstanceLimitExceeded', 'aws-instance-limit', 'max_instances', true],
    ['VcpuLimitExceeded', 'aws-instance-limit', 'service quota', true],
    ['UnauthorizedOperation', 'aws-unauthorized', 'ec2:RunInstances', false],
    ['AuthFailure', 'aws-auth-failed', 'access_key_id', false],
    ['InvalidGroup.NotFound', 'aws-invalid-security-group', 'aws_ec2_security_group_ids', false],
    ['InvalidParameterCombination', 'aws-invalid-request', 'aws_ec2_config_override', false],
    ['RequestLimitExceeded', 'aws-throttled', 'throttled', true],
  ])('%s → %s', (awsCode, code, mention, retryable) => {
    const error = toEc2Error(awsError(awsCode), config, 'RunInstances');
    expect(error).toBeInstanceOf(PoolformError);
    expect([error.code, error.retryable]).toEqual([code, retryable]);
    expect(error.message).toContain(mention);
    expect(error.message).toContain('VmProvider aws-main');
    expect(error.message).not.toContain('AWS_SECRET');
  });

  it('server errors and network failures are retryable; other client errors are not', () => {
    expect(toEc2Error(awsError('InternalError', 'oops', 500), config, 'DescribeInstances').retryable).toBe(true);
    expect(toEc2Error(new Error('socket hang up'), config, 'DescribeInstances').retryable).toBe(true);
    expect(toEc2Error(awsError('SomethingOdd', 'no', 400), config, 'DescribeInstances').retryable).toBe(false);
  });

  it('says when a refused launch certainly created nothing (AWS answered), and not when that is unknown', () => {
    const created = (error: Error, operation = 'RunInstances'): unknown => toEc2Error(error, config, operation).nothingCreated;
    expect(created(awsError('InsufficientInstanceCapacity', 'no capacity', 500))).toBe(true);
    expect(created(awsError('InstanceLimitExceeded'))).toBe(true);
    expect(created(awsError('RequestLimitExceeded', 'slow down', 503))).toBe(true);
    expect(created(awsError('InvalidAMIID.NotFound'))).toBe(true);
    expect(created(awsError('UnauthorizedOperation', 'no', 403))).toBe(true);
    expect(created(awsError('InternalError', 'oops', 500))).toBe(false);
    expect(created(new Error('socket hang up'))).toBe(false);
    expect(created(awsError('InvalidAMIID.NotFound'), 'DescribeImages')).toBe(false);
  });

  it('a missing credential chain is a clear, non-retryable error', () => {
    const error = toEc2Error(
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      config,
      'DescribeInstances',
    );
    expect([error.code, error.retryable]).toEqual(['aws-no-credentials', false]);
    expect(error.message).toContain('access_key_id and secret_access_key');
  });

  it('leaves the long encoded authorization message out', () => {
    const error = toEc2Error(
      awsError('UnauthorizedOperation', 'You are not authorized. Encoded authorization failure message: AAAAverylongblob'),
      config,
      'TerminateInstances',
    );
    expect(error.message).not.toContain('AAAAverylongblob');
    expect(error.message).toContain('ec2:TerminateInstances');
  });
});
