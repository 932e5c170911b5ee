// Small DN and filter helpers for the LDAP directory provider. The DN parsing
// the planner needs too (splitDn, domainFromSearchBase) lives in src/model/dn.ts.
import { splitDn } from '../../model/dn.ts';

export { domainFromSearchBase, splitDn } from '../../model/dn.ts';

/** Canonical form for comparing DNs: RDNs trimmed, spaces around `=` removed, lower-cased. */
export function normalizeDn(dn: string): string {
  return splitDn(dn)
    .map((rdn) => rdn.replace(/^\s*([^=]+?)\s*=\s*/, '$1='))
    .join(',')
    .toLowerCase();
}

/** The parent DN of `dn` (everything after the first RDN), normalized. */
export function parentDn(dn: string): string {
  return splitDn(dn).slice(1).join(',');
}

/** Number of RDNs (for deleting children before parents). */
export function dnDepth(dn: string): number {
  return splitDn(dn).length;
}

/** RFC 4514 escaping of an attribute value placed in a DN. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`);
  if (out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4515 escaping of a value placed in a search filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\u0000]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
