// A file-backed stand-in for an Active Directory: computer records kept in
// `<stateDir>/local-directory/computers.json`. Not selectable from YAML (an
// LdapConfig always means a real directory); it exists so the directory
// conformance suite has a local implementation, and so plan/apply tests can
// exercise the AD → VM → DNS ordering without Samba (inject it through the
// registry's `factories.ldap`). Passwords are never stored.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PoolformError, errorMessage } from '../../util/errors.ts';
import { parentDn } from '../observe.ts';
import type { ComputerCreateRequest, DirectoryProviderClient, ObservedComputer } from '../types.ts';
import { errnoCode, withFileQueue, writeFileAtomic } from './fs-atomic.ts';

export const LOCAL_DIRECTORY_DIR = 'local-directory';

/** One stored computer record. `poolform` marks records poolform owns; others are "foreign" (made by hand). */
export interface LocalComputerEntry {
  dn: string;
  name: string;
  /** Ownership marker (the directory config name that created it); absent on foreign records. */
  poolform?: string;
  server_id: string | null;
  intent_id: string | null;
  dns_host_name: string | null;
  /** Children (e.g. BitLocker keys), removed only with `recursive`. */
  children?: number;
  password_set_at?: string;
}

export interface LocalDirectoryProviderOptions {
  /** Name of the LdapConfig this client stands in for. */
  name: string;
  stateDir: string;
  clock?: () => Date;
}

const NAME = /^[A-Za-z0-9-]{1,15}$/;

function sameDn(a: string, b: string): boolean {
  return a.replace(/\s*,\s*/g, ',').toLowerCase() === b.replace(/\s*,\s*/g, ',').toLowerCase();
}

export function createLocalDirectoryProvider(options: LocalDirectoryProviderOptions): DirectoryProviderClient & {
  /** Test hook: adds a record without poolform's marker. */
  addForeign(entry: Omit<LocalComputerEntry, 'poolform'>): Promise<void>;
  /** Test hook: every stored record, foreign ones included. */
  entries(): Promise<LocalComputerEntry[]>;
} {
  const path = join(options.stateDir, LOCAL_DIRECTORY_DIR, 'computers.json');
  const clock = options.clock ?? (() => new Date());

  const load = async (): Promise<LocalComputerEntry[]> => {
    try {
      const value: unknown = JSON.parse(await readFile(path, 'utf8'));
      return Array.isArray(value) ? (value as LocalComputerEntry[]) : [];
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw new PoolformError('local-directory-failed', `directory ${options.name}: cannot read ${path}: ${errorMessage(error)}`, {
        cause: error,
        retryable: true,
      });
    }
  };
  const save = async (entries: LocalComputerEntry[]): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(entries, null, 2)}\n`);
  };
  const toObserved = (e: LocalComputerEntry): ObservedComputer => ({
    name: e.name,
    dn: e.dn,
    server_id: e.server_id,
    intent_id: e.intent_id,
    dns_host_name: e.dns_host_name,
  });

  return {
    kind: 'local',
    name: options.name,

    async observe(containerDn: string): Promise<ObservedComputer[]> {
      return (await load()).filter((e) => e.poolform === options.name && sameDn(parentDn(e.dn), containerDn)).map(toObserved);
    },

    create(request: ComputerCreateRequest): Promise<ObservedComputer> {
      if (!NAME.test(request.name)) {
        return Promise.reject(
          new PoolformError(
            'invalid-request',
            `directory ${options.name}: ${JSON.stringify(request.name)} is not a valid computer name (1-15 letters, digits, -)`,
          ),
        );
      }
      return withFileQueue(path, async () => {
        const entries = await load();
        const dn = `CN=${request.name},${request.container_dn}`;
        const existing = entries.find((e) => sameDn(e.dn, dn));
        if (existing && (existing.poolform !== options.name || existing.intent_id !== request.intent_id)) {
          throw new PoolformError('directory-conflict', `directory ${options.name}: ${dn} already exists and was not created by intent ${request.intent_id}`);
        }
        const entry: LocalComputerEntry = existing ?? {
          dn,
          name: request.name,
          poolform: options.name,
          server_id: request.server_id,
          intent_id: request.intent_id,
          dns_host_name: request.dns_host_name,
        };
        entry.password_set_at = clock().toISOString();
        if (!existing) entries.push(entry);
        await save(entries);
        return toObserved(entry);
      });
    },

    delete(computer: ObservedComputer, opts: { recursive: boolean }): Promise<void> {
      return withFileQueue(path, async () => {
        const entries = await load();
        const index = entries.findIndex((e) => sameDn(e.dn, computer.dn));
        const entry = entries[index];
        if (!entry) return;
        if (entry.poolform !== options.name) {
          throw new PoolformError('directory-not-owned', `directory ${options.name}: ${computer.dn} is not marked as poolform's; not deleting it`);
        }
        if ((entry.children ?? 0) > 0 && !opts.recursive) {
          throw new PoolformError(
            'directory-has-children',
            `directory ${options.name}: ${computer.dn} has child objects; enable ad_recursive_cleanup to delete them too`,
          );
        }
        entries.splice(index, 1);
        await save(entries);
      });
    },

    addForeign(entry: Omit<LocalComputerEntry, 'poolform'>): Promise<void> {
      return withFileQueue(path, async () => {
        const entries = await load();
        entries.push({ ...entry });
        await save(entries);
      });
    },

    entries: load,
  };
}
