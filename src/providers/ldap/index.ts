// Active Directory computer records over LDAPS (ldapts): the directory
// provider of an LdapConfig. See docs/active-directory.md for the rights the
// bind account needs.
//
// Contract (providers/types.ts DirectoryProviderClient), as implemented here:
// - LDAPS only: a non-ldaps:// url is refused when the client is built, because
//   AD will not let a password (unicodePwd) be set over an unencrypted
//   connection.
// - create() adds `CN=<name>,<container_dn>` (objectClass computer,
//   sAMAccountName NAME$, userAccountControl WORKSTATION_TRUST_ACCOUNT,
//   dNSHostName, description = poolform's marker with server and intent id,
//   unicodePwd = the one-time password). Idempotent: a record with that
//   sAMAccountName that is ours with the same intent id or server id gets the
//   new password set (admin reset) and is returned; any other record with the
//   name is a collision (PoolformError `ldap-name-collision`), never taken over.
// - observe() is one paged one-level search of the OU for marked records.
// - delete() re-reads the record and deletes it only when it carries the
//   marker (and, if the caller knows the server id, the same server id);
//   already gone = success; `recursive` deletes the record with its child
//   objects (tree delete control; children one by one where unsupported).
// - Every failure is a PoolformError with a clear message (errors.ts); the
//   passwords never appear in messages, causes or logs.
import { Attribute, Change, Client, Control, NoSuchObjectError, ResultCodeError } from 'ldapts';
import type { Entry } from 'ldapts';
import type { LdapConfig } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { ComputerCreateRequest, DirectoryProviderClient, ObservedComputer } from '../types.ts';
import { computerNameProblem } from './computer-name.ts';
import { dnDepth, escapeDnValue, escapeFilterValue, normalizeDn, splitDn } from './dn.ts';
import { mapLdapError } from './errors.ts';
import type { LdapErrorContext, LdapOperation } from './errors.ts';
import { MARKER_FILTER, formatMarker, parseMarker } from './marker.ts';
import { encodeUnicodePwd } from './password.ts';

export { computerNameProblem, isValidComputerName, MAX_COMPUTER_NAME_LENGTH } from './computer-name.ts';
export { domainFromSearchBase } from './dn.ts';
export { formatMarker, parseMarker, MARKER_PREFIX } from './marker.ts';
export { encodeUnicodePwd, generateJoinPassword, meetsAdComplexity } from './password.ts';

/** userAccountControl WORKSTATION_TRUST_ACCOUNT (0x1000): a member computer, enabled. */
export const WORKSTATION_TRUST_ACCOUNT = 4096;

/** LDAP_SERVER_TREE_DELETE_OID: delete an object with everything below it. */
const TREE_DELETE_OID = '1.2.840.113556.1.4.805';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

export interface LdapDirectoryProviderOptions {
  config: LdapConfig;
  /** Resolved bind password. */
  bindPassword: string;
  /** Resolved PEM CA certificate(s), when the config sets ca_cert. */
  caCert?: string;
  /** Receives warnings (tls_insecure_skip_verify). Default: process.emitWarning. */
  warn?: (message: string) => void;
  /** Page size of observe()'s paged search (default 500). */
  pageSize?: number;
}

/** Why `url` cannot be used for computer records, or undefined when it can. */
export function ldapsUrlProblem(url: string): string | undefined {
  if (!/^ldaps:\/\//i.test(url.trim())) {
    return `url ${JSON.stringify(url)} is not ldaps://: Active Directory does not allow a computer's password to be set over an unencrypted connection, so computer records require an ldaps:// URL (LDAP over TLS, usually port 636)`;
  }
  try {
    new URL(url.trim());
  } catch {
    return `url ${JSON.stringify(url)} is not a valid URL`;
  }
  return undefined;
}

const ATTRS = ['cn', 'sAMAccountName', 'description', 'dNSHostName'];

/** First string value of an attribute, looked up case-insensitively. */
function attr(entry: Entry, name: string): string | undefined {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const value = entry[key];
  const one = Array.isArray(value) ? value[0] : value;
  if (one === undefined) return undefined;
  return typeof one === 'string' ? one : one.toString('utf8');
}

function toObserved(entry: Entry): ObservedComputer {
  const marker = parseMarker(attr(entry, 'description'));
  const cn = attr(entry, 'cn') ?? attr(entry, 'sAMAccountName')?.replace(/\$$/, '') ?? '';
  return {
    name: cn,
    dn: entry.dn,
    server_id: marker?.server_id ?? null,
    intent_id: marker?.intent_id ?? null,
    dns_host_name: attr(entry, 'dNSHostName') ?? null,
  };
}

/** The DC= suffix of a DN (the domain's naming context), where sAMAccountName is unique. */
function domainRoot(dn: string): string {
  return splitDn(dn)
    .filter((rdn) => /^dc\s*=/i.test(rdn))
    .join(',');
}

export function createLdapDirectoryProvider(options: LdapDirectoryProviderOptions): DirectoryProviderClient {
  const { config } = options;
  // A password kept in a file (`${file:...}`) usually ends with a line break
  // the admin never meant as part of it; AD passwords cannot be typed with one.
  const bindPassword = options.bindPassword.replace(/\r?\n$/, '');
  const urlProblem = ldapsUrlProblem(config.url);
  if (urlProblem) throw new PoolformError('ldap-requires-ldaps', `LdapConfig ${config.name}: ${urlProblem}`);
  const url = config.url.trim();

  const inlineCa = config.ca_cert !== undefined && config.ca_cert.includes('-----BEGIN') ? config.ca_cert : undefined;
  const ca = options.caCert ?? inlineCa;
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new PoolformError('ldap-invalid-ca-cert', `LdapConfig ${config.name}: ca_cert does not hold a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  const insecure = config.tls_insecure_skip_verify === true;
  if (insecure) {
    const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'POOLFORM_LDAP_INSECURE_TLS' }));
    warn(
      `LdapConfig ${config.name}: tls_insecure_skip_verify is set: the domain controller's certificate is not verified, so the bind password and join passwords could be intercepted; set ca_cert instead`,
    );
  }
  const connectTimeout = config.connect_timeout_ms ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const timeout = config.timeout_ms ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const pageSize = options.pageSize ?? 500;

  const errorContext = (operation: LdapOperation, extra: Partial<LdapErrorContext> = {}, secrets: readonly string[] = []): LdapErrorContext => ({
    config: config.name,
    url,
    bindDn: config.bind_dn,
    operation,
    secrets: [bindPassword, ...secrets],
    ...extra,
  });

  /** One bound connection for the duration of `fn`; always unbound after. */
  async function session<T>(fn: (client: Client) => Promise<T>, secrets: readonly string[] = []): Promise<T> {
    const client = new Client({
      url,
      connectTimeout,
      timeout,
      strictDN: false,
      tlsOptions: { minVersion: 'TLSv1.2', rejectUnauthorized: !insecure, ...(ca !== undefined ? { ca } : {}) },
    });
    try {
      try {
        await client.bind(config.bind_dn, bindPassword);
      } catch (error) {
        throw mapLdapError(error, errorContext('bind', {}, secrets));
      }
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  async function run<T>(operation: LdapOperation, extra: Partial<LdapErrorContext>, call: () => Promise<T>, secrets: readonly string[] = []): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw mapLdapError(error, errorContext(operation, extra, secrets));
    }
  }

  async function findByName(client: Client, name: string, containerDn: string): Promise<Entry | undefined> {
    const root = domainRoot(containerDn) || containerDn;
    const { searchEntries } = await run('search', { dn: root, containerDn }, () =>
      client.search(root, { scope: 'sub', filter: `(sAMAccountName=${escapeFilterValue(`${name}$`)})`, attributes: ATTRS, sizeLimit: 2 }),
    );
    return searchEntries[0];
  }

  async function readEntry(client: Client, dn: string): Promise<Entry | undefined> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ATTRS });
      return searchEntries[0];
    } catch (error) {
      if (error instanceof NoSuchObjectError) return undefined;
      throw mapLdapError(error, errorContext('read', { dn }));
    }
  }

  /** An existing record with the requested name: ours → new password; anything else → collision. */
  async function adopt(client: Client, entry: Entry, request: ComputerCreateRequest): Promise<ObservedComputer> {
    const observed = toObserved(entry);
    const marker = parseMarker(attr(entry, 'description'));
    const ours =
      marker !== undefined &&
      ((marker.intent_id !== null && marker.intent_id === request.intent_id) || (marker.server_id !== null && marker.server_id === request.server_id));
    if (!ours) {
      const whose = marker === undefined ? "is not poolform's" : `belongs to another poolform server (server-id=${marker.server_id ?? '?'})`;
      throw new PoolformError(
        'ldap-name-collision',
        `LdapConfig ${config.name}: a computer record named ${request.name} already exists (${entry.dn}) and ${whose}: pick another name; poolform never takes over a record it did not create for this server`,
        { details: { dn: entry.dn, name: request.name } },
      );
    }
    const changes = [new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [encodeUnicodePwd(request.password)] }) })];
    const description = formatMarker(request.server_id, request.intent_id);
    if (attr(entry, 'description') !== description) {
      changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: [description] }) }));
    }
    await run('set-password', { dn: entry.dn, containerDn: request.container_dn }, () => client.modify(entry.dn, changes), [request.password]);
    return { ...observed, server_id: request.server_id, intent_id: request.intent_id };
  }

  return {
    kind: 'ldap',
    name: config.name,

    async observe(containerDn) {
      return await session(async (client) => {
        const { searchEntries } = await run('search', { dn: containerDn, containerDn }, () =>
          client.search(containerDn, { scope: 'one', filter: MARKER_FILTER, attributes: ATTRS, paged: { pageSize } }),
        );
        return searchEntries.map(toObserved).filter((c) => c.name !== '');
      });
    },

    async create(request) {
      const nameProblem = computerNameProblem(request.name);
      if (nameProblem) throw new PoolformError('ad-invalid-computer-name', `LdapConfig ${config.name}: ${nameProblem}`);
      if (request.password.length === 0) throw new PoolformError('ad-empty-password', `LdapConfig ${config.name}: a computer record needs a one-time password`);
      if (request.container_dn.trim() === '') throw new PoolformError('ldap-ou-not-found', `LdapConfig ${config.name}: ad_computer_container_dn is empty`);
      const dn = `CN=${escapeDnValue(request.name)},${request.container_dn}`;
      const secrets = [request.password];
      return await session(async (client) => {
        const existing = await findByName(client, request.name, request.container_dn);
        if (existing) return await adopt(client, existing, request);
        try {
          await client.add(dn, [
            new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
            new Attribute({ type: 'cn', values: [request.name] }),
            new Attribute({ type: 'sAMAccountName', values: [`${request.name}$`] }),
            new Attribute({ type: 'userAccountControl', values: [String(WORKSTATION_TRUST_ACCOUNT)] }),
            new Attribute({ type: 'dNSHostName', values: [request.dns_host_name] }),
            new Attribute({ type: 'description', values: [formatMarker(request.server_id, request.intent_id)] }),
            new Attribute({ type: 'unicodePwd', values: [encodeUnicodePwd(request.password)] }),
          ]);
        } catch (error) {
          // Lost a race with another writer, or a non-computer object holds the cn.
          if (error instanceof ResultCodeError && error.code === 68) {
            const now = (await findByName(client, request.name, request.container_dn)) ?? (await readEntry(client, dn));
            if (now) return await adopt(client, now, request);
          }
          throw mapLdapError(error, errorContext('add', { dn, containerDn: request.container_dn }, secrets));
        }
        return { name: request.name, dn, server_id: request.server_id, intent_id: request.intent_id, dns_host_name: request.dns_host_name };
      }, secrets);
    },

    async delete(computer, { recursive }) {
      await session(async (client) => {
        const entry = await readEntry(client, computer.dn);
        if (!entry) return; // already gone
        const marker = parseMarker(attr(entry, 'description'));
        if (!marker) {
          throw new PoolformError(
            'ldap-not-owned',
            `LdapConfig ${config.name}: ${entry.dn} is not marked as poolform's (description "poolform:managed ..."): refusing to delete a record poolform did not create`,
            { details: { dn: entry.dn } },
          );
        }
        // The name now belongs to another poolform server: the record meant here is gone.
        if (computer.server_id !== null && marker.server_id !== null && marker.server_id !== computer.server_id) return;
        const containerDn = splitDn(entry.dn).slice(1).join(',');
        const del = async (dn: string): Promise<void> => {
          try {
            await client.del(dn);
          } catch (error) {
            if (error instanceof NoSuchObjectError) return;
            throw mapLdapError(error, errorContext('delete', { dn, containerDn }));
          }
        };
        if (!recursive) {
          await del(entry.dn);
          return;
        }
        // Tree delete (one call; needs "Delete subtree" on the record). A server
        // without the control gets the children deleted one by one instead.
        try {
          await client.del(entry.dn, new Control(TREE_DELETE_OID, { critical: true }));
          return;
        } catch (error) {
          if (error instanceof NoSuchObjectError) return;
          if (!(error instanceof ResultCodeError && error.code === 12)) throw mapLdapError(error, errorContext('delete-tree', { dn: entry.dn, containerDn }));
        }
        const { searchEntries } = await run('search', { dn: entry.dn, containerDn }, () =>
          client.search(entry.dn, { scope: 'sub', filter: '(objectClass=*)', attributes: ['1.1'], paged: { pageSize } }),
        );
        const self = normalizeDn(entry.dn);
        const children = searchEntries.map((e) => e.dn).filter((dn) => normalizeDn(dn) !== self);
        children.sort((a, b) => dnDepth(b) - dnDepth(a));
        for (const child of children) await del(child);
        await del(entry.dn);
      });
    },
  };
}
