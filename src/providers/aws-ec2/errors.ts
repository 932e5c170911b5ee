// AWS SDK errors → PoolformError with a stable code, a message naming the
// config field an admin has to fix, and whether trying again later can help.
// Throttling has already been retried by the client's retry strategy when it
// reaches here. AWS messages carry no secrets; encoded authorization
// messages (UnauthorizedOperation) are left out because they are long and
// unreadable.
import type { AwsVmProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { AwsErrorCode } from '../../util/errors.ts';
import { CAPACITY_CODES, LIMIT_CODES, THROTTLING_CODES } from './retry.ts';

export { THROTTLING_CODES } from './retry.ts';

interface SdkErrorShape {
  name: string;
  message: string;
  status: number | undefined;
  fault: string | undefined;
}

export function sdkErrorShape(error: unknown): SdkErrorShape {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), status: undefined, fault: undefined };
  const record = error as Error & { Code?: unknown; $metadata?: { httpStatusCode?: unknown }; $fault?: unknown };
  const status = record.$metadata?.httpStatusCode;
  return {
    name: typeof record.Code === 'string' && record.Code ? record.Code : error.name,
    message: error.message,
    status: typeof status === 'number' ? status : undefined,
    fault: typeof record.$fault === 'string' ? record.$fault : undefined,
  };
}

/** The AWS error code of a thrown value (`InvalidAMIID.NotFound`, ...). */
export function awsErrorCode(error: unknown): string {
  return sdkErrorShape(error).name;
}

/** What the SDK throws when neither the config nor its default chain yields credentials. */
const NO_CREDENTIALS = new Set(['CredentialsProviderError', 'TokenProviderError']);

/** A generic AWS failure: retryable when AWS or the network failed (5xx, no response), not for 4xx. */
export function genericAwsError(service: string, operation: string, region: string, error: unknown): PoolformError {
  const shape = sdkErrorShape(error);
  if (NO_CREDENTIALS.has(shape.name)) {
    return new PoolformError(
      'aws-no-credentials',
      `no AWS credentials for ${service}:${operation}: set access_key_id and secret_access_key (secret references such as \${env:AWS_SECRET_ACCESS_KEY}) on the provider, ` +
        "or give the SDK's default chain credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or container role)",
      { cause: error, providerCode: shape.name, details: { aws_code: shape.name } },
    );
  }
  if (THROTTLING_CODES.has(shape.name)) {
    return new PoolformError(
      'aws-throttled',
      `${service}:${operation} in ${region} is still throttled by AWS (${shape.name}) after retries; poolform will try again later`,
      {
        retryable: true,
        providerCode: shape.name,
        cause: error,
        details: { aws_code: shape.name },
      },
    );
  }
  const retryable = shape.status === undefined || shape.status >= 500 || shape.fault === 'server';
  return new PoolformError('aws-error', `${service}:${operation} in ${region} failed: ${shape.name}: ${shape.message}`, {
    retryable,
    providerCode: shape.name,
    cause: error,
    details: { aws_code: shape.name, ...(shape.status !== undefined ? { http_status: shape.status } : {}) },
  });
}

/**
 * Whether AWS answered a call with an error, so that it certainly did nothing:
 * a 4xx answer, throttling, or a capacity/limit refusal (sent as 5xx). A bare
 * 5xx (InternalError) or a network failure leaves it unknown.
 */
export function awsRefused(error: unknown): boolean {
  const shape = sdkErrorShape(error);
  if (THROTTLING_CODES.has(shape.name) || CAPACITY_CODES.has(shape.name) || LIMIT_CODES.has(shape.name)) return true;
  return shape.status !== undefined && shape.status >= 400 && shape.status < 500;
}

/**
 * Maps an EC2 error from `operation` (RunInstances, DescribeInstances, ...) for the given provider config.
 * `nothingCreated` is true when a RunInstances was refused by AWS
 * (awsRefused): no instance can appear later for that intent, even when the
 * error is retryable (capacity, limits: try again later).
 */
export function toEc2Error(error: unknown, config: AwsVmProvider, operation: string): PoolformError {
  if (error instanceof PoolformError) return error;
  const mapped = mapEc2Error(error, config, operation);
  if (operation !== 'RunInstances' || !awsRefused(error)) return mapped;
  return new PoolformError(mapped.code, mapped.message, {
    retryable: mapped.retryable,
    nothingCreated: true,
    providerCode: mapped.providerCode,
    cause: error,
    details: mapped.details,
  });
}

function mapEc2Error(error: unknown, config: AwsVmProvider, operation: string): PoolformError {
  const shape = sdkErrorShape(error);
  const code = shape.name;
  const region = config.aws_region;
  const where = `VmProvider ${config.name}`;
  const fail = (poolformCode: AwsErrorCode, message: string, retryable = false): PoolformError =>
    new PoolformError(poolformCode, `${where}: ${message}`, { retryable, providerCode: code, cause: error, details: { aws_code: code, operation } });

  if (CAPACITY_CODES.has(code)) {
    const subnet = config.aws_ec2_subnet_id ? ` (aws_ec2_subnet_id ${config.aws_ec2_subnet_id})` : '';
    return fail(
      'aws-insufficient-capacity',
      `AWS has no capacity for aws_ec2_instance_type ${config.aws_ec2_instance_type} in ${region}${subnet} right now; poolform retries later with backoff. ` +
        'To avoid waiting, choose another aws_ec2_instance_type or an aws_ec2_subnet_id in another availability zone.',
      true,
    );
  }
  if (LIMIT_CODES.has(code)) {
    return fail(
      'aws-instance-limit',
      `the AWS account's instance limit for aws_ec2_instance_type ${config.aws_ec2_instance_type} in ${region} is reached (${code}); poolform retries later. ` +
        'Lower max_instances or request a service quota increase.',
      true,
    );
  }
  if (code.startsWith('InvalidAMIID.')) {
    const ami = config.aws_ec2_ami_id;
    if (code === 'InvalidAMIID.Malformed') return fail('aws-invalid-ami', `aws_ec2_ami_id ${ami} is not a valid AMI id`);
    if (code === 'InvalidAMIID.Unavailable') return fail('aws-invalid-ami', `aws_ec2_ami_id ${ami} is not available in ${region}`);
    return fail('aws-invalid-ami', `aws_ec2_ami_id ${ami} does not exist in ${region}`);
  }
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException') {
    return fail(
      'aws-unauthorized',
      `the AWS credentials (access_key_id/secret_access_key, or the default credential chain) are not allowed to call ec2:${operation} in ${region}; ` +
        'grant it (see the IAM policy in docs/providers/aws.md)',
    );
  }
  if (code === 'AuthFailure' || code === 'InvalidClientTokenId' || code === 'SignatureDoesNotMatch') {
    return fail('aws-auth-failed', `AWS rejected the credentials (${code}); check access_key_id and secret_access_key, or the default credential chain`);
  }
  if (code.startsWith('InvalidSubnetID.') || code === 'InvalidSubnet') {
    return fail('aws-invalid-subnet', `aws_ec2_subnet_id ${config.aws_ec2_subnet_id ?? '(default)'} is not a subnet in ${region} (${code})`);
  }
  if (code.startsWith('InvalidGroup.') || code.startsWith('InvalidGroupId.') || code.startsWith('InvalidSecurityGroupID.')) {
    return fail('aws-invalid-security-group', `aws_ec2_security_group_ids [${(config.aws_ec2_security_group_ids ?? []).join(', ')}]: ${shape.message}`);
  }
  if (code.startsWith('InvalidKeyPair.')) {
    return fail('aws-invalid-key-pair', `aws_ec2_key_pair_name ${config.aws_ec2_key_pair_name ?? ''} does not exist in ${region}`);
  }
  if (code === 'InvalidInstanceType' || (code === 'Unsupported' && /instance type/i.test(shape.message))) {
    return fail('aws-invalid-instance-type', `aws_ec2_instance_type ${config.aws_ec2_instance_type} is not offered in ${region}: ${shape.message}`);
  }
  if (code === 'NoSuchEntity' || (code === 'InvalidParameterValue' && /iamInstanceProfile/i.test(shape.message))) {
    return fail(
      'aws-invalid-iam-profile',
      `aws_ec2_iam ${config.aws_ec2_iam ?? ''} is not an IAM instance profile name or ARN the credentials can pass (${shape.message})`,
    );
  }
  if (
    code === 'InvalidParameterValue' ||
    code === 'InvalidParameterCombination' ||
    code === 'InvalidParameter' ||
    code === 'InvalidBlockDeviceMapping' ||
    code === 'MissingParameter'
  ) {
    return fail(
      'aws-invalid-request',
      `ec2:${operation} rejected the launch request (check the aws_ec2_* fields and aws_ec2_config_override): ${code}: ${shape.message}`,
    );
  }
  const generic = genericAwsError('ec2', operation, region, error);
  return new PoolformError(generic.code, `${where}: ${generic.message}`, {
    retryable: generic.retryable,
    providerCode: generic.providerCode,
    cause: error,
    details: generic.details,
  });
}
