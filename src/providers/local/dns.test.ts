import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalDnsProvider } from '../../generated/config.ts';
import { isPoolformError } from '../../util/errors.ts';
import { defineDnsProviderConformance } from '../conformance.ts';
import type { DnsRecord } from '../types.ts';
import { createLocalDnsProvider, parseHostsFile } from './dns.ts';

const config = (name = 'local-dns'): LocalDnsProvider => ({ kind: 'DnsProvider', name, type: 'local' });
const hostsPath = (stateDir: string): string => join(stateDir, 'local-dns', 'hosts');

defineDnsProviderConformance('local', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'pf-localdns-conf-'));
  return {
    client: createLocalDnsProvider({ config: config(), stateDir }),
    baseDomain: 'desk.example.com',
    async createForeign(fqdn, value) {
      await mkdir(join(stateDir, 'local-dns'), { recursive: true });
      await writeFile(hostsPath(stateDir), `${value} ${fqdn} alias-${fqdn}\n`, { flag: 'a' });
    },
    async foreignExists(fqdn, value) {
      return (await readFile(hostsPath(stateDir), 'utf8')).split('\n').includes(`${value} ${fqdn} alias-${fqdn}`);
    },
    cleanup: () => rm(stateDir, { recursive: true, force: true }),
  };
});

describe('local DNS provider', () => {
  let stateDir: string;
  const rec = (fqdn: string, value = '127.0.0.1', server_id = fqdn.split('.')[0] ?? ''): DnsRecord => ({ fqdn, type: 'A', value, ttl: 60, server_id });

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'pf-localdns-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('writes a hosts-format file with the poolform marker', async () => {
    const dns = createLocalDnsProvider({ config: config(), stateDir });
    await dns.upsert('desk.example.com', [rec('lab-1.desk.example.com'), rec('lab-2.desk.example.com', '127.0.0.1', 'srv-2')]);
    const text = await readFile(hostsPath(stateDir), 'utf8');
    expect(text.split('\n').slice(1)).toEqual([
      '127.0.0.1 lab-1.desk.example.com  # poolform server_id=lab-1 provider=local-dns ttl=60',
      '127.0.0.1 lab-2.desk.example.com  # poolform server_id=srv-2 provider=local-dns ttl=60',
      '',
    ]);
    expect(text.startsWith('#')).toBe(true);
  });

  it('keeps hand-written lines byte for byte and never changes them', async () => {
    await mkdir(join(stateDir, 'local-dns'));
    const hand = '# my notes\n10.0.0.5   printer.desk.example.com printer\n\n';
    await writeFile(hostsPath(stateDir), hand);
    const dns = createLocalDnsProvider({ config: config(), stateDir });
    const results = await dns.upsert('desk.example.com', [rec('lab-1.desk.example.com'), rec('printer.desk.example.com')]);
    expect(results[0]?.error).toBeUndefined();
    expect(isPoolformError(results[1]?.error) && results[1]?.error.code).toBe('local-dns-foreign-record');
    await dns.delete('desk.example.com', [rec('printer.desk.example.com'), rec('lab-1.desk.example.com')]);
    const text = await readFile(hostsPath(stateDir), 'utf8');
    expect(text).toContain(hand);
    expect(await dns.observe('desk.example.com')).toEqual([]);
  });

  it('observe returns only records under the base domain and of this provider config', async () => {
    const a = createLocalDnsProvider({ config: config('a'), stateDir });
    const b = createLocalDnsProvider({ config: config('b'), stateDir });
    await a.upsert('desk.example.com', [rec('x.desk.example.com')]);
    await a.upsert('other.example.com', [rec('y.other.example.com')]);
    await b.upsert('desk.example.com', [rec('z.desk.example.com')]);
    expect((await a.observe('desk.example.com')).map((r) => r.fqdn)).toEqual(['x.desk.example.com']);
    expect((await a.observe('DESK.example.com.')).map((r) => r.fqdn)).toEqual(['x.desk.example.com']);
    expect((await b.observe('desk.example.com')).map((r) => r.fqdn)).toEqual(['z.desk.example.com']);
    // b cannot take over or delete a's record
    const r = await b.upsert('desk.example.com', [rec('x.desk.example.com', '10.1.1.1')]);
    expect(r[0]?.error?.message).toMatch(/not managed by this provider/);
    await b.delete('desk.example.com', [rec('x.desk.example.com')]);
    expect((await a.observe('desk.example.com')).map((x) => x.value)).toEqual(['127.0.0.1']);
  });

  it('rejects names outside the base domain and bad values per item', async () => {
    const dns = createLocalDnsProvider({ config: config(), stateDir });
    const results = await dns.upsert('desk.example.com', [rec('x.evil.com'), rec('ok.desk.example.com'), rec('bad.desk.example.com', '1.2.3.4 evil.com')]);
    expect(results.map((r) => r.error === undefined)).toEqual([true, true, true].map((_, i) => i === 1));
    expect((await dns.observe('desk.example.com')).map((r) => r.fqdn)).toEqual(['ok.desk.example.com']);
  });

  it('concurrent batches from one process all land', async () => {
    const dns = createLocalDnsProvider({ config: config(), stateDir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => dns.upsert('desk.example.com', [rec(`n${i}.desk.example.com`)])));
    expect(await dns.observe('desk.example.com')).toHaveLength(20);
  });

  it('parses what it writes (round trip)', () => {
    const lines = parseHostsFile('1.2.3.4 A.Example.com.  # poolform server_id=s1 provider=p ttl=30\nfoo\n');
    expect(lines).toEqual([
      { kind: 'record', provider: 'p', record: { fqdn: 'a.example.com', type: 'A', value: '1.2.3.4', ttl: 30, server_id: 's1' } },
      { kind: 'other', text: 'foo' },
    ]);
  });
});
