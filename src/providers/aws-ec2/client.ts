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

/**
 * Credentials as the SDK gets them: surrounding whitespace removed (a key kept
 * in a file via `${file:...}` usually ends with a newline; AWS keys never
 * contain whitespace).
 */
export function cleanCredentials(credentials: AwsCredentials): AwsCredentials {
  return {
    accessKeyId: credentials.accessKeyId.trim(),
    secretAccessKey: credentials.secretAccessKey.trim(),
    ...(credentials.sessionToken !== undefined ? { sessionToken: credentials.sessionToken.trim() } : {}),
  };
}

export function createEc2Client(settings: AwsClientSettings): EC2Client {
  return new EC2Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: cleanCredentials(settings.credentials) } : {}),
    retryStrategy: createBackoffRetryStrategy(settings.retry),
  });
}
