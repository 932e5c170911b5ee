// Active Directory computer names (the record's cn and, with `$`, its
// sAMAccountName). AD takes the NetBIOS name from it, so it must satisfy both
// the NetBIOS and the DNS host name rules (Microsoft: "Naming conventions in
// Active Directory for computers, domains, sites, and OUs"):
// - 1 to 15 characters (NetBIOS limit; the 16th byte is the service type);
// - letters A-Z, digits and hyphens only (a DNS label; NetBIOS would allow more,
//   but the DNS host name would break), not starting or ending with a hyphen;
// - not digits only (Windows refuses numeric computer names);
// - not one of the names Windows reserves for security principals.

export const MAX_COMPUTER_NAME_LENGTH = 15;

/** Names AD reserves (well-known security principals and NetBIOS/DNS keywords). */
export const RESERVED_COMPUTER_NAMES: ReadonlySet<string> = new Set([
  'ANONYMOUS',
  'AUTHENTICATED',
  'BATCH',
  'BUILTIN',
  'CREATOR',
  'DIALUP',
  'DIGEST',
  'DOMAIN',
  'ENTERPRISE',
  'GATEWAY',
  'GROUP',
  'INTERACTIVE',
  'INTERNET',
  'LOCAL',
  'LOCALHOST',
  'NETWORK',
  'NTLM',
  'NULL',
  'OWNER',
  'PROXY',
  'REMOTE',
  'RESTRICTED',
  'SCHANNEL',
  'SELF',
  'SERVER',
  'SERVICE',
  'SYSTEM',
  'TERMINAL',
  'THIS',
  'USERS',
  'WORLD',
]);

const ALLOWED = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Why `name` cannot be an AD computer name, or undefined when it can. */
export function computerNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a computer name cannot be empty';
  if (name.length > MAX_COMPUTER_NAME_LENGTH) {
    return `computer name ${JSON.stringify(name)} has ${name.length} characters; Active Directory allows at most ${MAX_COMPUTER_NAME_LENGTH} (NetBIOS limit)`;
  }
  if (!ALLOWED.test(name)) {
    return `computer name ${JSON.stringify(name)} may contain only letters, digits and hyphens, and may not start or end with a hyphen`;
  }
  if (/^[0-9]+$/.test(name)) return `computer name ${JSON.stringify(name)} cannot be digits only`;
  if (RESERVED_COMPUTER_NAMES.has(name.toUpperCase())) return `computer name ${JSON.stringify(name)} is reserved by Windows`;
  return undefined;
}

export function isValidComputerName(name: string): boolean {
  return computerNameProblem(name) === undefined;
}
