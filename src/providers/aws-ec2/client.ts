// Builds the EC2 client a provider uses when none is injected: region and
// endpoint from the config, credentials from the resolved secret references
// (absent = the SDK's default chain: env, shared files, SSO, instance role),
// and poolform's bounded, jittered retry strategy.
import { EC2Client } from '@aws-sdk/client-ec2';
import { type BackoffOptions, createBackoffRetryStrategy } from './retry.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientSettings {
  region: string;
  /** Custom endpoint URL (emulators such as moto, VPC interface endpoints). */
  endpoint?: string;
  credentials?: AwsCredentials;
  retry?: BackoffOptions;
}

export function createEc2Client(settings: AwsClientSettings): EC2Client {
  return new EC2Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    retryStrategy: createBackoffRetryStrategy(settings.retry),
  });
}
