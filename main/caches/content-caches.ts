/**
 * @module The content caches main knows (DTR's `content_caches`): edges users can pull from.
 *
 *	caches   <name>   ContentCacheRecord   (in main's LMDB environment)
 *
 * A cache pulls from main or from another cache (`upstream`); chains are checked for cycles
 * when they are written, so `chainOf` always ends at main.
 */
import { BlockList, isIP } from 'node:net';
import type { Database, RootDatabase } from '../../src/store/lmdb.js';
import { AccountError } from '../accounts/errors.js';

export interface ContentCacheRecord {
  /** The edge's public URL: where clients are redirected. */
  host: string;
  /** The cache this one pulls from; absent means main. */
  upstream?: string;
  region?: string;
  /** Client networks (CIDR) this cache serves when a user has no preference. */
  networks: string[];
  createdAt: number;
}

export interface ContentCache extends ContentCacheRecord {
  name: string;
}

export interface ContentCacheInput {
  name?: unknown;
  host?: unknown;
  upstream?: unknown;
  region?: unknown;
  networks?: unknown;
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function openCachesDb(root: RootDatabase): Database<ContentCacheRecord, string> {
  return root.openDB<ContentCacheRecord, string>({ name: 'caches', encoding: 'msgpack' });
}

function invalid(message: string): AccountError {
  return new AccountError('INVALID_INPUT', message);
}

/** An edge's public URL, normalized (no trailing slash); INVALID_INPUT when it is not one. */
export function parseHost(value: unknown): string {
  try {
    if (typeof value !== 'string') throw new Error();
    const url = new URL(value);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username)
      throw new Error();
    return url.href.replace(/\/+$/, '');
  } catch {
    throw invalid('host must be the http(s) URL of the edge, such as https://sg.registry.example.com');
  }
}

/** `10.0.0.0/8`, `2001:db8::/32`; a bare address means a single host. */
export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = value.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    version === 0 ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (prefixText !== undefined && !/^\d+$/.test(prefixText))
  ) {
    throw invalid(`"${value}" is not a network in CIDR notation (such as 10.1.0.0/16)`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function networkMatcher(networks: string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const network of networks) {
    const { address, prefix, family } = parseCidr(network);
    list.addSubnet(address, prefix, family);
  }
  return (address) => {
    // Node reports IPv4 clients on a dual-stack socket as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
}

export function createContentCaches(db: Database<ContentCacheRecord, string>, now: () => number = Date.now) {
  const get = (name: string): ContentCache | undefined => {
    const record = db.get(name);
    return record && { name, ...record };
  };
  const require = (name: string): ContentCache => {
    const cache = get(name);
    if (!cache) throw new AccountError('NOT_FOUND', `content cache "${name}" does not exist`);
    return cache;
  };

  /** The chain from `name` up to main: [name, its upstream, ...]. */
  const chainOf = (name: string): ContentCache[] => {
    const chain: ContentCache[] = [];
    for (let cache = get(name); cache && chain.length < 16; cache = cache.upstream ? get(cache.upstream) : undefined)
      chain.push(cache);
    return chain;
  };

  function validate(name: string, input: ContentCacheInput, existing?: ContentCacheRecord): ContentCacheRecord {
    const host = input.host === undefined && existing ? existing.host : parseHost(input.host);
    let upstream = input.upstream === undefined ? existing?.upstream : input.upstream;
    if (upstream === '' || upstream === null) upstream = undefined;
    if (upstream !== undefined) {
      if (typeof upstream !== 'string' || !db.doesExist(upstream))
        throw invalid(`upstream "${String(upstream)}" is not a known content cache (leave it empty to pull from main)`);
      if (upstream === name || chainOf(upstream).some((c) => c.name === name))
        throw invalid(`upstream "${upstream}" would make a cycle through "${name}"`);
    }
    const region = input.region === undefined ? existing?.region : input.region;
    if (region !== undefined && (typeof region !== 'string' || region.length > 100))
      throw invalid('region must be a short text such as "ap-southeast-1"');
    const networks = input.networks === undefined ? (existing?.networks ?? []) : input.networks;
    if (!Array.isArray(networks) || !networks.every((n) => typeof n === 'string'))
      throw invalid('networks must be a list of CIDR strings');
    for (const n of networks) parseCidr(n);
    return {
      host,
      ...(upstream !== undefined && { upstream: upstream as string }),
      ...(region !== undefined && region !== '' && { region: region as string }),
      networks: networks as string[],
      createdAt: existing?.createdAt ?? now(),
    };
  }

  return {
    get,
    require,
    chainOf,
    list: (): ContentCache[] => [...db.getRange()].map(({ key, value }) => ({ name: key, ...value })),

    async create(input: ContentCacheInput): Promise<ContentCache> {
      if (typeof input.name !== 'string' || !NAME_PATTERN.test(input.name)) {
        throw invalid('name must be lowercase letters, digits and dashes, at most 63 characters');
      }
      const name = input.name;
      const record = validate(name, input);
      // ifNoExists resolves false when the name was taken (the write is conditional in LMDB).
      if (!(await db.ifNoExists(name, () => db.put(name, record))))
        throw new AccountError('ALREADY_EXISTS', `content cache "${name}" already exists`);
      return { name, ...record };
    },

    async update(name: string, input: ContentCacheInput): Promise<ContentCache> {
      const existing = require(name);
      const record = validate(name, input, existing);
      await db.put(name, record);
      return { name, ...record };
    },

    async remove(name: string): Promise<void> {
      require(name);
      const dependants = [...db.getRange()].filter(({ value }) => value.upstream === name).map(({ key }) => key);
      if (dependants.length > 0)
        throw invalid(
          `content cache "${name}" is the upstream of ${dependants.join(', ')}; change or remove those first`,
        );
      await db.remove(name);
    },
  };
}

export type ContentCaches = ReturnType<typeof createContentCaches>;
