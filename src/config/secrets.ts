// Secret references: YAML holds `${env:NAME}` or `${file:PATH}`, resolved at
// plan/apply/serve time (validate never needs the values). PATH is relative to
// the directory of the config file that holds it (or absolute).
import { isAbsolute, resolve } from 'node:path';
import { PoolformError } from '../util/errors.ts';
import { readRegularFileSync } from './bounded-read.ts';

/** A `${file:...}` secret is at most this long (keys and certificates are kilobytes). */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/**
 * The text of a secret file: a regular file of at most MAX_SECRET_FILE_BYTES,
 * read without blocking on a FIFO and never more than the limit + 1 byte.
 * Throws an Error naming the path (never the content).
 */
export function readSecretFile(path: string): string {
  const r = readRegularFileSync(path, MAX_SECRET_FILE_BYTES);
  if (!r.ok) throw new Error(r.reason === 'too-large' ? `${path} is larger than 1 MB` : r.message);
  return r.bytes.toString('utf8');
}

const REF = /^\$\{(env|file):([^}]+)\}$/;

export type SecretRef = { source: 'env'; name: string } | { source: 'file'; path: string };

/** Parses a whole-string secret reference; undefined for plaintext. */
export function parseSecretRef(value: string): SecretRef | undefined {
  const m = REF.exec(value.trim());
  if (!m || m[2] === undefined) return undefined;
  return m[1] === 'env' ? { source: 'env', name: m[2] } : { source: 'file', path: m[2] };
}

export function isSecretRef(value: string): boolean {
  return parseSecretRef(value) !== undefined;
}

export interface SecretContext {
  env: Readonly<Record<string, string | undefined>>;
  /** Directory `${file:...}` paths are relative to. */
  baseDir: string;
  readFile?: (path: string) => string;
}

/**
 * The value of a secret field. Plaintext (allowed only with
 * Settings.allow_plaintext_secrets; validate enforces that) is returned as is.
 * A missing variable or unreadable file throws PoolformError `secret-unresolved`
 * naming the reference, never a value.
 */
export function resolveSecret(value: string, ctx: SecretContext): string {
  const ref = parseSecretRef(value);
  if (!ref) return value;
  if (ref.source === 'env') {
    const v = ctx.env[ref.name];
    if (v === undefined || v === '') {
      throw new PoolformError('secret-unresolved', `secret \${env:${ref.name}} is not set: export ${ref.name}`);
    }
    return v;
  }
  const path = isAbsolute(ref.path) ? ref.path : resolve(ctx.baseDir, ref.path);
  try {
    return (ctx.readFile ?? readSecretFile)(path);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new PoolformError('secret-unresolved', `secret \${file:${ref.path}} cannot be read: ${why}`, { cause });
  }
}
