import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactJson } from './redact.ts';
import type { JsonValue } from './types.ts';

describe('redactJson', () => {
  it('redacts secret-looking keys at any depth and keeps the rest', () => {
    const input: JsonValue = {
      instance_type: 't3.large',
      password: 'hunter2',
      nested: { api_token: 'abc', list: [{ ClientSecret: 'x', ok: 1 }], aws_key_pair_name: 'kp' },
      credentials: null,
    };
    expect(redactJson(input)).toEqual({
      instance_type: 't3.large',
      password: REDACTED,
      nested: { api_token: REDACTED, list: [{ ClientSecret: REDACTED, ok: 1 }], aws_key_pair_name: REDACTED },
      credentials: null,
    });
  });

  it('keeps addresses and flags visible (private_ip is not a private key)', () => {
    const input: JsonValue = { private_ip: '10.0.0.7', public_ip: '1.2.3.4', use_user_private_key: true, private_key: 'PEM', key_count: 2 };
    expect(redactJson(input)).toEqual({ private_ip: '10.0.0.7', public_ip: '1.2.3.4', use_user_private_key: true, private_key: REDACTED, key_count: 2 });
  });

  it('redacts token-looking values whatever their key', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzMSJ9.c2lnbmF0dXJl';
    expect(redactJson({ note: jwt, pem: '-----BEGIN RSA PRIVATE KEY-----\nMII...', url: 'postgres://u:pw@db/x', plain: 'https://example.com/a' })).toEqual({
      note: REDACTED,
      pem: REDACTED,
      url: REDACTED,
      plain: 'https://example.com/a',
    });
  });

  it('never lets a value under a secret key through (property)', () => {
    const key = fc.constantFrom('password', 'db_secret', 'Token', 'ad_join_credential', 'private_key', 'apiKey');
    const secret = fc.string({ minLength: 6 }).map((s) => `S3CR3T-${s}`);
    fc.assert(
      fc.property(fc.jsonValue(), key, secret, (value, k, v) => {
        const doc: JsonValue = { wrapper: [value as JsonValue, { [k]: v }] };
        expect(JSON.stringify(redactJson(doc))).not.toContain(v);
      }),
    );
  });
});
