// AWS Route 53 DNS provider (placeholder until the AWS issue lands).
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Route53DnsProvider } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { AwsCredentials } from '../aws-ec2/index.ts';
import type { DnsProviderClient } from '../types.ts';

export interface Route53DnsProviderOptions {
  config: Route53DnsProvider;
  credentials?: AwsCredentials;
  client?: Route53Client;
}

export function createRoute53DnsProvider(options: Route53DnsProviderOptions): DnsProviderClient {
  throw new PoolformError('not-implemented', `DnsProvider ${options.config.name}: route53 is not implemented yet`);
}
