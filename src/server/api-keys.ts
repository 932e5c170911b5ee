// API keys for the session API: `Settings.api_keys` entries `{ name, secret }`
// whose secrets are references (`${env:NAME}`, `${file:PATH}`) resolved when a
// config is loaded. Presented as `Authorization: Bearer KEY` and compared in
// constant time (SHA-256 digests through timingSafeEqual, every key checked).
import { hash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/model.ts';
import { sourceDir } from '../config/lookup.ts';
import { resolveSecret } from '../config/secrets.ts';
import { errorMessage } from '../util/errors.ts';

export interface ResolvedKey {
  name: string;
  digest: Buffer;
}

export interface KeySet {
  keys: ResolvedKey[];
  /** Keys whose secret could not be resolved (names and reasons only, never values). */
  problems: string[];
}

/** SHA-256 in one call (crypto.hash): no Hash object per request, several times cheaper than createHash on a short token. */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Resolves the configured keys. Unresolvable keys are skipped and reported. */
export function resolveApiKeys(config: Config, env: Readonly<Record<string, string | undefined>>): KeySet {
  const keys: ResolvedKey[] = [];
  const problems: string[] = [];
  for (const k of config.settings.api_keys ?? []) {
    try {
      // `${file:...}` is relative to the Settings file's directory, as everywhere else.
      // A key file written with `echo KEY > file` ends in a newline that no Bearer
      // token can carry: one trailing line break is not part of the key.
      const value = resolveSecret(k.secret, { env, baseDir: sourceDir(config, 'Settings') }).replace(/\r?\n$/, '');
      if (value === '') {
        problems.push(`api key ${k.name}: empty secret`);
        continue;
      }
      if (/\s/.test(value)) {
        // Never say which character or where: the message must not narrow the secret down.
        problems.push(`api key ${k.name}: the secret contains whitespace, which an "Authorization: Bearer KEY" header cannot carry; the key is disabled`);
        continue;
      }
      keys.push({ name: k.name, digest: digest(value) });
    } catch (err) {
      problems.push(`api key ${k.name}: ${errorMessage(err)}`);
    }
  }
  return { keys, problems };
}

/** The name of the key `presented` matches, or null. Constant time in the presented value. */
export function matchApiKey(set: KeySet, presented: string): string | null {
  const d = digest(presented);
  let found: string | null = null;
  for (const k of set.keys) {
    if (timingSafeEqual(k.digest, d) && found === null) found = k.name;
  }
  return found;
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}
