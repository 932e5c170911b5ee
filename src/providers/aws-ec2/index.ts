// AWS EC2 VM provider (placeholder until the AWS issue lands).
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsVmProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { VmProviderClient } from '../types.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Ec2VmProviderOptions {
  config: AwsVmProvider;
  /** Resolved from the config's secret references; absent = the SDK's default chain. */
  credentials?: AwsCredentials;
  /** Injected client (tests add middleware to it); default: built from config. */
  client?: EC2Client;
}

export function createEc2VmProvider(options: Ec2VmProviderOptions): VmProviderClient {
  throw new PoolformError('not-implemented', `VmProvider ${options.config.name}: the aws provider is not implemented yet`);
}
