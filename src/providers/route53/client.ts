// Builds the Route 53 client a provider uses when none is injected. Route 53
// is a global service; the region only picks the signing region/endpoint
// (default us-east-1). Same retry strategy as EC2.
import { Route53Client } from '@aws-sdk/client-route-53';
import { type AwsCredentials, cleanCredentials } from '../aws-ec2/client.ts';
import { type BackoffOptions, createBackoffRetryStrategy } from '../aws-ec2/retry.ts';

export interface Route53ClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentials;
  retry?: BackoffOptions;
}

export function createRoute53Client(settings: Route53ClientSettings): Route53Client {
  return new Route53Client({
    region: settings.region ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: cleanCredentials(settings.credentials) } : {}),
    retryStrategy: createBackoffRetryStrategy(settings.retry),
  });
}
