import { describe, expect, it } from 'vitest';
import { PoolformError } from '../../util/errors.ts';
import { assertUserDataFits, USER_DATA_MAX_BYTES, userDataOf } from './user-data.ts';

describe('kubevirt user data', () => {
  it('ssh_key is added to a #cloud-config script only, and not twice', () => {
    expect(userDataOf('#cloud-config\nruncmd: [a]', 'ssh-ed25519 AAA x')).toBe('#cloud-config\nruncmd: [a]\nssh_authorized_keys:\n  - "ssh-ed25519 AAA x"\n');
    expect(userDataOf('#!/bin/sh\necho', 'ssh-ed25519 AAA x')).toBe('#!/bin/sh\necho');
    const own = '#cloud-config\nssh_authorized_keys:\n  - ssh-rsa B\n';
    expect(userDataOf(own, 'ssh-ed25519 AAA x')).toBe(own);
    expect(userDataOf('#cloud-config\n', undefined)).toBe('#cloud-config\n');
  });

  it('the 1 MiB Secret limit counts UTF-8 bytes', () => {
    expect(() => assertUserDataFits('VmProvider kv', 'x'.repeat(USER_DATA_MAX_BYTES))).not.toThrow();
    expect(() => assertUserDataFits('VmProvider kv', `${'x'.repeat(USER_DATA_MAX_BYTES - 1)}é`)).toThrow(PoolformError);
  });
});
