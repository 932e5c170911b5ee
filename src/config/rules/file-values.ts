// Reading a value that is either inline or a `${file:PATH}` reference, for the
// rules that must check content that is not secret-by-value-unknown (SSH keys
// given by file, CA certificates). `${env:...}` values are unknown to validate.
import { dirname, isAbsolute, resolve } from 'node:path';
import { MAX_SECRET_FILE_BYTES, parseSecretRef } from '../secrets.ts';
import { readRegularFileSync } from '../bounded-read.ts';

export type FileValue =
  | { kind: 'inline'; text: string }
  | { kind: 'file'; text: string; path: string }
  | { kind: 'missing-file'; path: string; reason: string; notRegular?: boolean }
  | { kind: 'env'; name: string };

/** Resolves inline text or `${file:PATH}` (relative to the file holding it); env references stay unknown. */
export function readFileValue(value: string, holderAbsPath: string): FileValue {
  const ref = parseSecretRef(value);
  if (!ref) return { kind: 'inline', text: value };
  if (ref.source === 'env') return { kind: 'env', name: ref.name };
  const path = isAbsolute(ref.path) ? ref.path : resolve(dirname(holderAbsPath), ref.path);
  // Only regular files, at most 1 MB read, never blocking on a FIFO (bounded-read.ts).
  const r = readRegularFileSync(path, MAX_SECRET_FILE_BYTES);
  if (r.ok) return { kind: 'file', text: r.bytes.toString('utf8'), path: ref.path };
  if (r.reason === 'too-large') return { kind: 'missing-file', path: ref.path, reason: 'larger than 1 MB' };
  if (r.reason === 'not-regular') return { kind: 'missing-file', path: ref.path, reason: r.message.slice(path.length + ' is '.length), notRegular: true };
  const code = /\(([^)]*)\)$/.exec(r.message)?.[1] ?? 'unreadable';
  return { kind: 'missing-file', path: ref.path, reason: code };
}
