// AWS EC2 VM provider (`VmProvider` type `aws`): the factory the provider
// registry calls. See provider.ts for the contracts and how they are met.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsVmProvider } from '../../generated/config.ts';
import type { VmProviderClient } from '../types.ts';
import { type AwsCredentials, createEc2Client } from './client.ts';
import { createEc2Provider } from './provider.ts';
import type { BackoffOptions } from './retry.ts';

export type { AwsClientSettings, AwsCredentials } from './client.ts';
export { createEc2Client } from './client.ts';
export { toEc2Error } from './errors.ts';
export { assertUserDataFits, USER_DATA_MAX_BYTES } from './launch-request.ts';
export { clearEc2Caches } from './provider.ts';
export type { BackoffOptions } from './retry.ts';
export { createBackoffRetryStrategy, withThrottleRetry } from './retry.ts';
export * from './tags.ts';

export interface Ec2VmProviderOptions {
  config: AwsVmProvider;
  /** Resolved from the config's secret references; absent = the SDK's default chain. */
  credentials?: AwsCredentials;
  /** Injected client (tests add middleware to it); default: built from config. */
  client?: EC2Client;
  /** Retry/backoff for throttling and transient errors when the client is built here. */
  retry?: BackoffOptions;
  /** How old a DescribeInstances result may be to admit a launch against max_instances (default 5,000 ms). */
  snapshotMaxAgeMs?: number;
  /** DescribeInstances page size, 5..1000 (default 1000). */
  pageSize?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

export function createEc2VmProvider(options: Ec2VmProviderOptions): VmProviderClient {
  const { config } = options;
  const client =
    options.client ??
    createEc2Client({
      region: config.aws_region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  return createEc2Provider({
    config,
    client,
    ...(options.snapshotMaxAgeMs !== undefined ? { snapshotMaxAgeMs: options.snapshotMaxAgeMs } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}
