// ssh-key-invalid: an SSH private key given inline or by `${file:...}` must be
// an RSA key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`) of 2048 bits,
// the only kind the connection proxy accepts. Checked with node:crypto.
// ssh-key-unchecked (warning): a `${file:...}` key that cannot be read (keys
// are often kept out of the repository; validate then cannot check it).
// `${env:...}` keys are skipped: their value is unknown in CI.
import { createPrivateKey } from 'node:crypto';
import type { Rule, RuleContext } from './context.ts';
import type { PathSegment } from '../source.ts';
import { readFileValue } from './file-values.ts';

const PKCS1_HEADER = '-----BEGIN RSA PRIVATE KEY-----';

/** The key type named in an OpenSSH private key's (always unencrypted) public part: `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`... */
export function openSshKeyType(text: string): string | undefined {
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const bytes = Buffer.from(body.slice(0, 400), 'base64').toString('latin1');
  return /(ssh-ed25519|ssh-rsa|ecdsa-sha2-[a-z0-9]+|ssh-dss|sk-[a-z0-9@.-]+)/.exec(bytes)?.[1];
}

/** Why a PEM text is not an acceptable SSH key, or undefined when it is. */
export function sshKeyProblem(pem: string): string | undefined {
  const text = pem.trim();
  if (!text.startsWith(PKCS1_HEADER)) {
    if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) {
      // An OpenSSH file may hold an ed25519/ECDSA key, which no conversion makes RSA: say what is needed and how to make it.
      const type = openSshKeyType(text);
      const create = `create one with \`ssh-keygen -t rsa -b 2048 -m PEM -f KEY\``;
      if (type !== undefined && type !== 'ssh-rsa') {
        return `is an OpenSSH ${type} key; it must be an RSA 2048-bit key in PKCS#1 PEM (${PKCS1_HEADER}), which an ${type} key cannot be converted to: ${create}`;
      }
      return `is in OpenSSH format; it must be an RSA 2048-bit key in PKCS#1 PEM (${PKCS1_HEADER}): convert an RSA key with \`ssh-keygen -p -m PEM -f KEY\`, or ${create}`;
    }
    if (text.includes('-----BEGIN PRIVATE KEY-----')) return 'is PKCS#8; convert it to PKCS#1 with `openssl rsa -in KEY -traditional`';
    return `must be PKCS#1 PEM starting with ${PKCS1_HEADER}`;
  }
  // An encrypted key cannot be opened without its passphrase (a secret); its header is all we can check.
  if (/Proc-Type:\s*4,ENCRYPTED/.test(text)) return undefined;
  try {
    const key = createPrivateKey({ key: text, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa')
      return `is a ${key.asymmetricKeyType ?? 'non-RSA'} key; it must be an RSA 2048-bit key in PKCS#1 PEM: create one with \`ssh-keygen -t rsa -b 2048 -m PEM -f KEY\``;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== 2048) return `is ${bits ?? 'of unknown size'} bits; 2048 bits are required`;
    return undefined;
  } catch {
    return 'is not a readable PEM private key';
  }
}

function check(ctx: RuleContext, doc: object, path: PathSegment[], value: string | undefined): void {
  if (value === undefined) return;
  const source = ctx.sourceOf(doc);
  if (!source) return;
  const v = readFileValue(value, source.absPath);
  switch (v.kind) {
    case 'env':
      return;
    case 'missing-file':
      // A FIFO, device or directory is never a key: an error, not "cannot check".
      if (v.notRegular) {
        ctx.report('error', 'ssh-key-invalid', `SSH key file ${v.path} is ${v.reason}`, { doc, path });
        return;
      }
      ctx.report('warning', 'ssh-key-unchecked', `cannot read SSH key file ${v.path} (${v.reason}); it is not checked`, { doc, path });
      return;
    case 'inline':
    case 'file': {
      const problem = sshKeyProblem(v.text);
      if (problem) ctx.report('error', 'ssh-key-invalid', `SSH private key${v.kind === 'file' ? ` in ${v.path}` : ''} ${problem}`, { doc, path });
      return;
    }
    default: {
      const never: never = v;
      throw new Error(`unhandled ${String(never)}`);
    }
  }
}

export const sshKeys: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    for (const [i, a] of (pool.autoscale ?? []).entries()) check(ctx, pool, ['autoscale', i, 'connection_private_key'], a.connection_private_key);
    for (const [i, s] of (pool.servers ?? []).entries()) check(ctx, pool, ['servers', i, 'connection_private_key'], s.connection_private_key);
  }
};
