import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codes, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';
import { sshKeyProblem } from './ssh-key.ts';

const rsa = (bits: number, type: 'pkcs1' | 'pkcs8') =>
  generateKeyPairSync('rsa', { modulusLength: bits, privateKeyEncoding: { type, format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
    .privateKey;
const good = rsa(2048, 'pkcs1');

const sshPool = (key: string) => serverPool(`connection_private_key: ${key}`).replace('rdp', 'ssh');

describe('ssh-key-invalid', () => {
  it('classifies keys with node:crypto', () => {
    expect(sshKeyProblem(good)).toBeUndefined();
    expect(sshKeyProblem(rsa(1024, 'pkcs1'))).toContain('1024 bits');
    expect(sshKeyProblem(rsa(2048, 'pkcs8'))).toContain('PKCS#8');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(sshKeyProblem(ed)).toBeDefined();
    expect(sshKeyProblem('-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----\n')).toContain('not a readable');
  });

  it('accepts a 2048-bit PKCS#1 key by file, and skips env references', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${sshPool('${file:keys/id_rsa}')}`, 'keys/id_rsa': good });
    expect(codes(r)).toEqual([]);
    expect(codes(await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${sshPool('${env:SSH_KEY}')}` }))).toEqual([]);
  });

  it('rejects a PKCS#8 key given by file, at the field', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${sshPool('${file:keys/id_rsa}')}`, 'keys/id_rsa': rsa(2048, 'pkcs8') });
    expect(only(r, 'ssh-key-invalid')).toMatchObject([{ path: '/autoscale/0/connection_private_key', line: 14, column: 29 }]);
  });

  it('rejects an inline 1024-bit key (plaintext allowed)', async () => {
    const key = rsa(1024, 'pkcs1');
    const inline = `|\n${key
      .trim()
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n')}`;
    const r = await loadStrings({ 's.yaml': 'kind: Settings\nallow_plaintext_secrets: true\n', 'a.yaml': `${LOCAL_PROVIDER}---\n${sshPool(inline)}` });
    expect(codes(r, 'error')).toEqual(['ssh-key-invalid']);
  });

  it('warns when a key file cannot be read', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${sshPool('${file:missing.pem}')}` });
    expect(codes(r)).toEqual(['ssh-key-unchecked']);
    expect(r.config).toBeDefined();
  });
});
