import { describe, expect, it } from 'vitest';
import { isPoolformError } from '../../util/errors.ts';
import { dnDepth, domainFromSearchBase, escapeDnValue, escapeFilterValue, normalizeDn, parentDn, splitDn } from './dn.ts';

describe('DN helpers', () => {
  it('derives the AD domain from a search base', () => {
    expect(domainFromSearchBase('DC=corp,DC=example,DC=com')).toBe('corp.example.com');
    expect(domainFromSearchBase('OU=Pools, dc=Corp , DC=Example,DC=com')).toBe('corp.example.com');
    expect(domainFromSearchBase('CN=Users,DC=lab,DC=local')).toBe('lab.local');
  });

  it('refuses a search base without DC components', () => {
    let thrown: unknown;
    try {
      domainFromSearchBase('OU=Pools,O=Example');
    } catch (error) {
      thrown = error;
    }
    expect(isPoolformError(thrown) && thrown.code).toBe('ldap-invalid-search-base');
  });

  it('splits at unescaped commas only', () => {
    expect(splitDn('CN=Smith\\, John,OU=People,DC=x')).toEqual(['CN=Smith\\, John', 'OU=People', 'DC=x']);
    expect(parentDn('CN=A,OU=B,DC=c')).toBe('OU=B,DC=c');
    expect(dnDepth('CN=A,OU=B,DC=c')).toBe(3);
    expect(normalizeDn('CN = A , OU=B,DC=C')).toBe('cn=a,ou=b,dc=c');
  });

  it('escapes DN and filter values', () => {
    expect(escapeDnValue('a,b+c')).toBe('a\\,b\\+c');
    expect(escapeDnValue(' x ')).toBe('\\ x\\ ');
    expect(escapeFilterValue('a*(b)\\')).toBe('a\\2a\\28b\\29\\5c');
  });
});
