// The user's own SSH key on a session request (`ssh_private_key`), for pools
// whose SSH connections say `use_user_private_key` (upstream's "Use User SSH
// Key"). Same format rules as connection_private_key: RSA, PKCS#1 PEM, 2048
// bits, and not encrypted (no passphrase travels with it). The key is held in
// memory only, like the SSO credential; errors never echo it.
import { sshKeyProblem } from '../config/rules/ssh-key.ts';
import { ApiError } from './errors.ts';

/** Longest accepted PEM text (a 2048-bit PKCS#1 key is about 1,700 characters). */
const MAX_KEY_CHARS = 8192;

/** The request's `ssh_private_key`, checked; undefined when absent. 400 when malformed. */
export function readUserSshKey(body: Record<string, unknown>): string | undefined {
  const value = body['ssh_private_key'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError(400, 'invalid_field', '"ssh_private_key" must be a string (PEM text)');
  if (value.length > MAX_KEY_CHARS) throw new ApiError(400, 'invalid_field', `"ssh_private_key" is longer than ${MAX_KEY_CHARS} characters`);
  if (/Proc-Type:\s*4,ENCRYPTED/.test(value)) {
    throw new ApiError(400, 'invalid_field', '"ssh_private_key" is encrypted; send the key without a passphrase (held in memory only)');
  }
  const problem = sshKeyProblem(value);
  if (problem !== undefined) throw new ApiError(400, 'invalid_field', `"ssh_private_key" ${problem}`);
  return value.trim() + '\n';
}
