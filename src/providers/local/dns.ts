// The embedded local DNS provider: records are lines of a hosts-format file,
// `<stateDir>/local-dns/hosts`, which can be appended to /etc/hosts or served
// by dnsmasq (`addn-hosts=`). A line poolform owns ends with a marker comment:
//
//   127.0.0.1 lab-3f9a2c.desk.example.com  # poolform server_id=3f9a2c provider=local-dns ttl=60
//
// Lines without the marker (added by hand) and lines of other DnsProvider
// configs are never changed or removed. The file is rewritten atomically (temp
// file + rename) once per batch.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalDnsProvider } from '../../generated/config.ts';
import { PoolformError, errorMessage } from '../../util/errors.ts';
import type { DnsProviderClient, DnsRecord, ItemResult } from '../types.ts';
import { errnoCode, withFileQueue, writeFileAtomic } from './fs-atomic.ts';

export const LOCAL_DNS_DIR = 'local-dns';
export const LOCAL_DNS_FILE = 'hosts';

const HEADER = '# poolform local DNS (hosts format). Lines marked "# poolform" are managed by poolform; other lines are left alone.';
const LINE = /^\s*(\S+)\s+(\S+)\s+#\s*poolform(?:\s+(.*))?$/;
const VALUE = /^[0-9A-Fa-f:.]+$/;
const NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

export interface LocalDnsProviderOptions {
  config: LocalDnsProvider;
  /** The state path; the hosts file is `<stateDir>/local-dns/hosts`. */
  stateDir: string;
}

/** One line of the hosts file: a poolform record (with the provider that owns it) or any other text, kept verbatim. */
export type HostsLine = { kind: 'record'; provider: string; record: DnsRecord } | { kind: 'other'; text: string };

export function parseHostsFile(text: string): HostsLine[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((text): HostsLine => {
    const m = LINE.exec(text);
    if (!m || m[1] === undefined || m[2] === undefined) return { kind: 'other', text };
    const fields = new Map<string, string>();
    for (const pair of (m[3] ?? '').trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const ttl = Number(fields.get('ttl') ?? '60');
    return {
      kind: 'record',
      provider: fields.get('provider') ?? '',
      record: {
        fqdn: normalizeName(m[2]),
        type: 'A',
        value: m[1],
        ttl: Number.isInteger(ttl) && ttl >= 0 ? ttl : 60,
        server_id: fields.get('server_id') ?? '',
      },
    };
  });
}

export function formatHostsLine(provider: string, record: DnsRecord): string {
  return `${record.value} ${record.fqdn}  # poolform server_id=${record.server_id} provider=${provider} ttl=${record.ttl}`;
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function isUnder(fqdn: string, baseDomain: string): boolean {
  return fqdn === baseDomain || fqdn.endsWith(`.${baseDomain}`);
}

/** A line holds `fqdn` when its hostname (or an alias of a hand-written line) is that name. */
function otherLineNames(text: string): string[] {
  const body = text.split('#')[0]?.trim() ?? '';
  return body === '' ? [] : body.split(/\s+/).slice(1).map(normalizeName);
}

export function createLocalDnsProvider(options: LocalDnsProviderOptions): DnsProviderClient {
  const { config } = options;
  const path = join(options.stateDir, LOCAL_DNS_DIR, LOCAL_DNS_FILE);

  const load = async (): Promise<HostsLine[]> => {
    try {
      return parseHostsFile(await readFile(path, 'utf8'));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw new PoolformError('local-dns-failed', `DnsProvider ${config.name}: cannot read ${path}: ${errorMessage(error)}`, { cause: error, retryable: true });
    }
  };

  const save = async (lines: HostsLine[]): Promise<void> => {
    const body = lines.map((l) => (l.kind === 'record' ? formatHostsLine(l.provider, l.record) : l.text));
    if (body[0] !== HEADER) body.unshift(HEADER);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, `${body.join('\n')}\n`, 0o644);
  };

  const owned = (line: HostsLine): line is Extract<HostsLine, { kind: 'record' }> => line.kind === 'record' && line.provider === config.name;

  const checkRecord = (baseDomain: string, record: DnsRecord): DnsRecord => {
    const fqdn = normalizeName(record.fqdn);
    if (!NAME.test(fqdn) || !isUnder(fqdn, baseDomain)) {
      throw new PoolformError('invalid-request', `DnsProvider ${config.name}: ${record.fqdn} is not a name under ${baseDomain}`);
    }
    if (!VALUE.test(record.value))
      throw new PoolformError('invalid-request', `DnsProvider ${config.name}: ${JSON.stringify(record.value)} is not an IP address`);
    if (!/^[A-Za-z0-9._-]*$/.test(record.server_id))
      throw new PoolformError('invalid-request', `DnsProvider ${config.name}: invalid server id ${JSON.stringify(record.server_id)}`);
    return { ...record, fqdn };
  };

  return {
    kind: 'local',
    name: config.name,

    async observe(baseDomain: string): Promise<DnsRecord[]> {
      const base = normalizeName(baseDomain);
      return (await load())
        .filter(owned)
        .map((l) => l.record)
        .filter((r) => isUnder(r.fqdn, base));
    },

    upsert(baseDomain: string, records: readonly DnsRecord[]): Promise<ItemResult<DnsRecord>[]> {
      const base = normalizeName(baseDomain);
      return withFileQueue(path, async () => {
        const lines = await load();
        const results: ItemResult<DnsRecord>[] = [];
        let changed = false;
        for (const item of records) {
          try {
            const record = checkRecord(base, item);
            const held = lines.find(
              (l) =>
                (l.kind === 'record' && l.provider !== config.name && l.record.fqdn === record.fqdn) ||
                (l.kind === 'other' && otherLineNames(l.text).includes(record.fqdn)),
            );
            if (held) {
              throw new PoolformError(
                'local-dns-foreign-record',
                `DnsProvider ${config.name}: ${record.fqdn} is already in ${path} and not managed by this provider; not changing it`,
              );
            }
            const index = lines.findIndex((l) => owned(l) && l.record.fqdn === record.fqdn);
            const line: HostsLine = { kind: 'record', provider: config.name, record };
            if (index === -1) {
              lines.push(line);
              changed = true;
            } else {
              const before = lines[index];
              if (!before || before.kind !== 'record' || formatHostsLine(config.name, record) !== formatHostsLine(before.provider, before.record))
                changed = true;
              lines[index] = line;
            }
            results.push({ item });
          } catch (error) {
            results.push({ item, error: error instanceof Error ? error : new Error(String(error)) });
          }
        }
        if (changed) await save(lines);
        return results;
      });
    },

    delete(baseDomain: string, records: readonly DnsRecord[]): Promise<ItemResult<DnsRecord>[]> {
      const base = normalizeName(baseDomain);
      return withFileQueue(path, async () => {
        let lines = await load();
        const before = lines.length;
        const results: ItemResult<DnsRecord>[] = [];
        for (const item of records) {
          const fqdn = normalizeName(item.fqdn);
          if (!isUnder(fqdn, base)) {
            results.push({ item, error: new PoolformError('invalid-request', `DnsProvider ${config.name}: ${item.fqdn} is not a name under ${baseDomain}`) });
            continue;
          }
          lines = lines.filter((l) => !(owned(l) && l.record.fqdn === fqdn));
          results.push({ item });
        }
        if (lines.length !== before) await save(lines);
        return results;
      });
    },
  };
}
