// AWS Route 53 DNS provider (`DnsProvider` type `route53`): the factory the
// provider registry calls. See provider.ts for the contracts and how they are met.
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Route53DnsProvider } from '../../generated/config.ts';
import type { AwsCredentials } from '../aws-ec2/index.ts';
import type { BackoffOptions } from '../aws-ec2/retry.ts';
import type { DnsProviderClient } from '../types.ts';
import { createRoute53Client } from './client.ts';
import { createRoute53Provider } from './provider.ts';

export { createRoute53Client } from './client.ts';
export type { Route53ClientSettings } from './client.ts';
export { DEFAULT_TTL } from './provider.ts';
export { OWNER_PREFIX, ownerTxtValue, parseOwnerTxt } from './records.ts';

export interface Route53DnsProviderOptions {
  config: Route53DnsProvider;
  credentials?: AwsCredentials;
  client?: Route53Client;
  /** Retry/backoff for throttling and transient errors when the client is built here. */
  retry?: BackoffOptions;
  /** How old a zone walk may be for upsert/delete decisions (default 10 minutes; changes are conditional). */
  snapshotMaxAgeMs?: number;
  /** Quiet time that ends gathering upsert/delete calls into one request (default 50 ms). */
  batchWindowMs?: number;
  /** Longest a change waits to be sent while calls keep arriving (default 1,000 ms). */
  batchMaxWaitMs?: number;
  now?: () => number;
}

export function createRoute53DnsProvider(options: Route53DnsProviderOptions): DnsProviderClient {
  const { config } = options;
  const client =
    options.client ??
    createRoute53Client({
      ...(config.aws_region ? { region: config.aws_region } : {}),
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  return createRoute53Provider({
    config,
    client,
    ...(options.snapshotMaxAgeMs !== undefined ? { snapshotMaxAgeMs: options.snapshotMaxAgeMs } : {}),
    ...(options.batchWindowMs !== undefined ? { batchWindowMs: options.batchWindowMs } : {}),
    ...(options.batchMaxWaitMs !== undefined ? { batchMaxWaitMs: options.batchMaxWaitMs } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}
