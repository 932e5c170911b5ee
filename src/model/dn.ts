// LDAP distinguished-name parsing shared by the planner (the AD domain of a
// search base), the observe scopes (comparing OUs) and the directory providers.
// One parser: escapes (`\,`) and `;` separators are honoured everywhere. Pure.
import { PoolformError } from '../util/errors.ts';

/** Splits a DN into RDN strings at unescaped commas (values keep their escapes). */
export function splitDn(dn: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const ch = dn.charAt(i);
    if (ch === '\\' && i + 1 < dn.length) {
      current += ch + dn.charAt(i + 1);
      i++;
    } else if (ch === ',' || ch === ';') {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '' || parts.length > 0) parts.push(current.trim());
  return parts;
}

/**
 * The AD DNS domain of a search base: its DC= components joined with dots,
 * lower-cased. `DC=corp,DC=example,DC=com` → `corp.example.com`;
 * `OU=Pools,DC=corp,DC=example,DC=com` → `corp.example.com`. Throws
 * PoolformError `ldap-invalid-search-base` when the DN has no DC component.
 */
export function domainFromSearchBase(searchBase: string): string {
  const labels = splitDn(searchBase)
    .map((rdn) => /^dc\s*=\s*(.*)$/i.exec(rdn)?.[1]?.trim())
    .filter((v): v is string => v !== undefined && v !== '');
  if (labels.length === 0) {
    throw new PoolformError('ldap-invalid-search-base', `search base ${JSON.stringify(searchBase)} has no DC= components to derive the AD domain from`);
  }
  return labels.join('.').toLowerCase();
}

/** Canonical form for comparing DNs: RDNs trimmed, spaces around `=` removed, lower-cased. */
export function normalizeDn(dn: string): string {
  return splitDn(dn)
    .map((rdn) => rdn.replace(/^\s*([^=]+?)\s*=\s*/, '$1='))
    .join(',')
    .toLowerCase();
}

/** The parent DN of `dn` (everything after the first RDN), each RDN trimmed. */
export function parentDn(dn: string): string {
  return splitDn(dn).slice(1).join(',');
}

/** Number of RDNs (for deleting children before parents). */
export function dnDepth(dn: string): number {
  return splitDn(dn).length;
}
