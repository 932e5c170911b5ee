// Small DN and filter helpers for the LDAP directory provider. The DN parsing
// the planner and the observe scopes need too (splitDn, normalizeDn, parentDn,
// domainFromSearchBase) lives in src/model/dn.ts.
export { dnDepth, domainFromSearchBase, normalizeDn, parentDn, splitDn } from '../../model/dn.ts';

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
