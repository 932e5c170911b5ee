// Reading a value that is either inline or a `${file:PATH}` reference, for the
// rules that must check content that is not secret-by-value-unknown (SSH keys
// given by file, CA certificates). `${env:...}` values are unknown to validate.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseSecretRef } from '../secrets.ts';

export type FileValue =
  | { kind: 'inline'; text: string }
  | { kind: 'file'; text: string; path: string }
  | { kind: 'missing-file'; path: string; reason: string }
  | { kind: 'env'; name: string };

const MAX_BYTES = 1024 * 1024;

/** Resolves inline text or `${file:PATH}` (relative to the file holding it); env references stay unknown. */
export function readFileValue(value: string, holderAbsPath: string): FileValue {
  const ref = parseSecretRef(value);
  if (!ref) return { kind: 'inline', text: value };
  if (ref.source === 'env') return { kind: 'env', name: ref.name };
  const path = isAbsolute(ref.path) ? ref.path : resolve(dirname(holderAbsPath), ref.path);
  try {
    if (statSync(path).size > MAX_BYTES) return { kind: 'missing-file', path: ref.path, reason: 'larger than 1 MB' };
    return { kind: 'file', text: readFileSync(path, 'utf8'), path: ref.path };
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    return { kind: 'missing-file', path: ref.path, reason };
  }
}
