/**
 * @module One connection to the directory with the settings' TLS choices (LDAPS, or StartTLS before any
 * bind), bounded waits (5 s to connect, 10 s per operation), and the two failures callers must tell apart:
 * the directory could not be used (`DirectoryUnavailableError`: down, TLS refused, the service account
 * refused) and a user's credentials were wrong (`bindAs` answers false). Nothing here logs, and no error
 * message carries a password.
 */
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, SizeLimitExceededError, type Entry } from 'ldapts';
import type { LdapSettings } from '../metadata/ldap-settings.js';

export const CONNECT_TIMEOUT_MS = 5_000;
export const OPERATION_TIMEOUT_MS = 10_000;
const PAGE_SIZE = 500;

/** The directory could not be asked: a sign-in must not read this as "wrong password". */
export class DirectoryUnavailableError extends Error {
  readonly code = 'OUTPOST_DIRECTORY_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DirectoryUnavailableError';
  }
}

export interface DirectoryConnection {
  /** Binds as `dn`: true when the password is right, false when the directory says it is not. */
  bindAs(dn: string, password: string): Promise<boolean>;
  /** Every entry matching `filter` under `base`, page by page (RFC 2696), so no size limit cuts it short. */
  searchAll(base: string, filter: string, attributes: string[], scope?: 'base' | 'sub'): Promise<Entry[]>;
  /** At most `sizeLimit` entries, for look-ups expecting one or a few; `truncated` when there were more. */
  searchSome(
    base: string,
    filter: string,
    attributes: string[],
    sizeLimit: number,
    scope?: 'base' | 'sub',
  ): Promise<{ entries: Entry[]; truncated: boolean }>;
  close(): Promise<void>;
}

function tlsOptions(settings: LdapSettings): ConnectionOptions {
  return {
    ...(settings.tlsCaPem !== '' && { ca: settings.tlsCaPem }),
    rejectUnauthorized: !settings.skipTlsVerify,
  };
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

const unavailable = (what: string, err: unknown) =>
  new DirectoryUnavailableError(`the directory could not ${what}: ${describe(err)}`, { cause: err });

/**
 * A connection bound as the service account (anonymous when `bindDn` is empty); throws
 * `DirectoryUnavailableError` when that fails for any reason, a refused service password included.
 */
export async function openDirectory(settings: LdapSettings, asService = true): Promise<DirectoryConnection> {
  const ldaps = settings.url.toLowerCase().startsWith('ldaps:');
  // ldapts uses the constructor's TLS options for ldaps:// only; StartTLS takes its own (ldapts issue #161).
  const client = new Client({
    url: settings.url,
    connectTimeout: CONNECT_TIMEOUT_MS,
    timeout: OPERATION_TIMEOUT_MS,
    ...(ldaps && { tlsOptions: tlsOptions(settings) }),
  });
  const closeQuietly = () => client.unbind().catch(() => {});
  try {
    if (settings.startTls && !ldaps) await client.startTLS(tlsOptions(settings));
  } catch (err) {
    await closeQuietly();
    throw unavailable(`be reached at ${settings.url}`, err);
  }
  if (asService && settings.bindDn !== '') {
    try {
      await client.bind(settings.bindDn, settings.bindPassword);
    } catch (err) {
      await closeQuietly();
      throw unavailable(`be searched: the service account (${settings.bindDn}) was refused or the server is down`, err);
    }
  }

  return {
    async bindAs(dn, password) {
      // An empty password is an unauthenticated bind (RFC 4513 5.1.2), which servers accept: never a sign-in.
      if (password === '') return false;
      try {
        await client.bind(dn, password);
        return true;
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return false;
        throw unavailable('check the password', err);
      }
    },
    async searchAll(base, filter, attributes, scope = 'sub') {
      const entries: Entry[] = [];
      try {
        const pages = client.searchPaginated(base, { scope, filter, attributes, paged: { pageSize: PAGE_SIZE } });
        for await (const page of pages) entries.push(...page.searchEntries);
      } catch (err) {
        throw unavailable(`search ${base}`, err);
      }
      return entries;
    },
    async searchSome(base, filter, attributes, sizeLimit, scope = 'sub') {
      try {
        const { searchEntries } = await client.search(base, { scope, filter, attributes, sizeLimit });
        return { entries: searchEntries, truncated: false };
      } catch (err) {
        if (err instanceof SizeLimitExceededError) return { entries: [], truncated: true };
        // A base that does not exist (a user DN from a template, a group member that went away): nothing.
        if (err instanceof NoSuchObjectError) return { entries: [], truncated: false };
        throw unavailable(`search ${base}`, err);
      }
    },
    close: closeQuietly,
  };
}

/** The first value of `attribute` (names compared without case, as LDAP does), or undefined. */
export function firstValue(entry: Entry, attribute: string): string | undefined {
  return allValues(entry, attribute)[0];
}

/** Every value of `attribute` as strings. */
export function allValues(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  for (const [key, value] of Object.entries(entry)) {
    if (key.toLowerCase() !== wanted || key === 'dn') continue;
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
  }
  return [];
}
