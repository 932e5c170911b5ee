import { describe, expect, it } from 'vitest';
import { intentPayloadView } from './intent-payload.ts';

describe('intent payload view', () => {
  it('reads known keys with their types; wrong types read as null', () => {
    expect(intentPayloadView({ provider: 'aws', server_id: 7, create_error: 'aws-invalid-ami', create_retryable: false })).toMatchObject({
      provider: 'aws',
      server_id: null,
      create_error: 'aws-invalid-ami',
      create_retryable: false,
      hostname: null,
    });
    expect(intentPayloadView(undefined).provider).toBeNull();
  });
});
