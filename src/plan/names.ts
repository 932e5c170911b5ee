// Server ids and hostnames for autoscaled servers. Pure: randomness comes in
// as an injected source, so the planner stays deterministic under test and a
// saved plan carries the exact ids it will create.
//
// Hostname rules (they double as the AD computer name and the DNS label):
// - at most 15 characters (the NetBIOS limit AD enforces on computer names);
// - letters, digits and hyphens only (no dots, underscores or the characters
//   NetBIOS forbids), not starting or ending with a hyphen, not all digits;
// - lowercase (DNS is case-insensitive; AD matches names case-insensitively).

/** RFC 4648 base32 alphabet, lowercased: no 0/1/8/9, so ids never look like numbers. */
export const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Length of generated server ids. */
export const SERVER_ID_LENGTH = 8;

export const NETBIOS_MAX = 15;
/** Longest prefix kept, so that a hyphen and a 7-character unique suffix still fit. */
export const HOSTNAME_PREFIX_MAX = 7;

/** Returns a fresh id each call. The planner retries on collisions, so it need not be unique by itself. */
export type IdGen = () => string;

/**
 * An id generator over a source of random bytes (e.g. node:crypto randomBytes).
 * Each id is SERVER_ID_LENGTH base32 characters (40 bits).
 */
export function createIdGen(randomBytes: (n: number) => Uint8Array): IdGen {
  return () => {
    const bytes = randomBytes(SERVER_ID_LENGTH);
    let id = '';
    for (let i = 0; i < SERVER_ID_LENGTH; i++) id += BASE32_ALPHABET[(bytes[i] ?? 0) & 31];
    return id;
  };
}

/** A deterministic generator for tests and golden files: ids from a seed, in order. */
export function createSeededIdGen(seed: number): IdGen {
  let state = seed >>> 0 || 1;
  return createIdGen((n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      // xorshift32: good enough to spread test ids, not for secrets.
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      out[i] = state & 0xff;
    }
    return out;
  });
}

/** Keeps only characters valid in a hostname label, lowercased, without leading/trailing hyphens. */
function sanitize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The hostname prefix of an autoscale config: `hostname_prefix` when set,
 * else derived from the pool name (invalid characters dropped, at most 7
 * characters). Never empty: falls back to `pf`.
 */
export function hostnamePrefix(pool: string, configured?: string): string {
  const base = sanitize(configured ?? pool)
    .slice(0, HOSTNAME_PREFIX_MAX)
    .replace(/-+$/, '');
  return base === '' ? 'pf' : base;
}

/**
 * `<prefix>-<suffix>` within 15 characters; the suffix is the start of the
 * server id (as much as fits). Unique as long as the planner checks it
 * against the hostnames already taken (it regenerates the id otherwise).
 */
export function makeHostname(prefix: string, serverId: string): string {
  const p = hostnamePrefix(prefix, prefix);
  const room = NETBIOS_MAX - p.length - 1;
  const suffix = sanitize(serverId).slice(0, Math.max(room, 1));
  return `${p}-${suffix}`.slice(0, NETBIOS_MAX).replace(/-+$/, '');
}

/** Whether a name is a valid generated hostname / AD computer name (see the rules above). */
export function isValidHostname(name: string): boolean {
  return name.length >= 1 && name.length <= NETBIOS_MAX && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && !/^[0-9]+$/.test(name);
}

/** Ids look like SERVER_ID_LENGTH base32 characters. */
export function isValidServerId(id: string): boolean {
  return new RegExp(`^[${BASE32_ALPHABET}]{${SERVER_ID_LENGTH}}$`).test(id);
}

/**
 * Draws a server id and hostname not in `takenIds`/`takenHostnames` (and adds
 * them there). Throws after many collisions: the id space is then exhausted
 * for this prefix, which a real pool never reaches.
 */
export function allocateServerName(idGen: IdGen, prefix: string, takenIds: Set<string>, takenHostnames: Set<string>): { serverId: string; hostname: string } {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const serverId = idGen();
    if (!serverId || takenIds.has(serverId)) continue;
    const hostname = makeHostname(prefix, serverId);
    if (takenHostnames.has(hostname)) continue;
    takenIds.add(serverId);
    takenHostnames.add(hostname);
    return { serverId, hostname };
  }
  throw new Error(`could not find a free server id/hostname for prefix "${prefix}" after 1000 attempts`);
}
