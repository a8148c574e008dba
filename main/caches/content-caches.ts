/**
 * @module The content caches main knows (DTR's `content_caches`): edges users can pull from,
 * kept in the `CacheStore` (main/metadata/caches.ts). Each field is checked here; the store
 * keeps the relations (a known upstream, no cycle, no removal under a dependant) in each write.
 *
 * A cache pulls from main or from another cache (`upstream`); chains are checked for cycles
 * when they are written, so `chainOf` always ends at main.
 */
import { BlockList, isIP } from 'node:net';
import type { CacheStore, CacheWriteResult, ContentCache, ContentCacheRecord } from '../metadata/caches.js';
import { AccountError } from '../accounts/errors.js';
import { NODE_ID_PATTERN } from './cache-nodes.js';

export type { ContentCache, ContentCacheRecord } from '../metadata/caches.js';

export interface ContentCacheInput {
  name?: unknown;
  host?: unknown;
  upstream?: unknown;
  region?: unknown;
  networks?: unknown;
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

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

/** A node id an edge chose (`--node-id`); INVALID_INPUT when it is not one. */
export function parseNodeId(value: unknown): string {
  if (typeof value !== 'string' || !NODE_ID_PATTERN.test(value))
    throw invalid('node id must be lowercase letters, digits, dots, dashes and underscores, at most 63 characters');
  return value;
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

/** The chain from `name` up to main within `caches`: [name, its upstream, ...] (at most 16). */
export function chainIn(caches: readonly ContentCache[], name: string): ContentCache[] {
  const byName = new Map(caches.map((cache) => [cache.name, cache]));
  const chain: ContentCache[] = [];
  for (
    let cache = byName.get(name);
    cache && chain.length < 16;
    cache = cache.upstream ? byName.get(cache.upstream) : undefined
  )
    chain.push(cache);
  return chain;
}

export function createContentCaches(store: CacheStore, now: () => number = Date.now) {
  // Every cache was created with a NAME_PATTERN name: any other is none of them, and is not sent to
  // the store (PostgreSQL refuses a NUL byte with an error, which would answer bad input with a 500).
  const get = async (name: string): Promise<ContentCache | undefined> => {
    if (!NAME_PATTERN.test(name)) return undefined;
    const record = await store.getCache(name);
    return record && { name, ...record };
  };
  const require = async (name: string): Promise<ContentCache> => {
    const cache = await get(name);
    if (!cache) throw new AccountError('NOT_FOUND', `content cache "${name}" does not exist`);
    return cache;
  };

  function validate(input: ContentCacheInput, existing?: ContentCacheRecord): ContentCacheRecord {
    const host = input.host === undefined && existing ? existing.host : parseHost(input.host);
    let upstream = input.upstream === undefined ? existing?.upstream : input.upstream;
    if (upstream === '' || upstream === null) upstream = undefined;
    if (upstream !== undefined && typeof upstream !== 'string')
      throw invalid(`upstream "${String(upstream)}" is not a known content cache (leave it empty to pull from main)`);
    const region = input.region === undefined ? existing?.region : input.region;
    if (region !== undefined && (typeof region !== 'string' || region.length > 100))
      throw invalid('region must be a short text such as "ap-southeast-1"');
    const networks = input.networks === undefined ? (existing?.networks ?? []) : input.networks;
    if (!Array.isArray(networks) || !networks.every((n) => typeof n === 'string'))
      throw invalid('networks must be a list of CIDR strings');
    for (const n of networks) parseCidr(n);
    return {
      host,
      ...(upstream !== undefined && { upstream }),
      ...(region !== undefined && region !== '' && { region: region as string }),
      networks: networks as string[],
      createdAt: existing?.createdAt ?? now(),
    };
  }

  /** The refusal for a write the store did not make. */
  function refusal(result: Exclude<CacheWriteResult, 'done'>, name: string, record: ContentCacheRecord): AccountError {
    switch (result) {
      case 'exists':
        return new AccountError('ALREADY_EXISTS', `content cache "${name}" already exists`);
      case 'missing':
        return new AccountError('NOT_FOUND', `content cache "${name}" does not exist`);
      case 'upstream-unknown':
        return invalid(`upstream "${record.upstream}" is not a known content cache (leave it empty to pull from main)`);
      case 'cycle':
        return invalid(`upstream "${record.upstream}" would make a cycle through "${name}"`);
    }
  }

  const list = (): Promise<ContentCache[]> => store.listCaches();

  return {
    get,
    require,
    list,
    /** The chain from `name` up to main: [name, its upstream, ...]. */
    chainOf: async (name: string): Promise<ContentCache[]> => chainIn(await list(), name),

    async create(input: ContentCacheInput): Promise<ContentCache> {
      if (typeof input.name !== 'string' || !NAME_PATTERN.test(input.name)) {
        throw invalid('name must be lowercase letters, digits and dashes, at most 63 characters');
      }
      const name = input.name;
      const record = validate(input);
      const result = await store.createCache(name, record);
      if (result !== 'done') throw refusal(result, name, record);
      return { name, ...record };
    },

    async update(name: string, input: ContentCacheInput): Promise<ContentCache> {
      const existing = await require(name);
      const record = validate(input, existing);
      const result = await store.updateCache(name, record);
      if (result !== 'done') throw refusal(result, name, record);
      return { name, ...record };
    },

    /**
     * Adds the node `id` at `host` to the cache `name`, or moves it there (an edge of the group joining);
     * `credentialHash` replaces the node's credential, absent keeps it.
     */
    async joinNode(name: string, id: unknown, host: unknown, credentialHash?: string): Promise<ContentCache> {
      const node = {
        id: parseNodeId(id),
        host: parseHost(host),
        joinedAt: now(),
        ...(credentialHash !== undefined && { credentialHash }),
      };
      const result = await store.joinCacheNode(name, node);
      if (result === 'missing') throw new AccountError('NOT_FOUND', `content cache "${name}" does not exist`);
      return require(name);
    },

    /** Removes a node from its group (an operator retiring an edge for good). */
    async removeNode(name: string, id: string): Promise<void> {
      const known = NAME_PATTERN.test(name) && NODE_ID_PATTERN.test(id);
      if (!known || (await store.removeCacheNode(name, id)) === 'missing')
        throw new AccountError('NOT_FOUND', `content cache "${name}" has no node "${id}"`);
    },

    async remove(name: string): Promise<void> {
      if (!NAME_PATTERN.test(name)) throw new AccountError('NOT_FOUND', `content cache "${name}" does not exist`);
      const result = await store.removeCache(name);
      if (result.removed) return;
      if (result.reason === 'missing') throw new AccountError('NOT_FOUND', `content cache "${name}" does not exist`);
      throw invalid(
        `content cache "${name}" is the upstream of ${result.dependants.join(', ')}; change or remove those first`,
      );
    },
  };
}

export type ContentCaches = ReturnType<typeof createContentCaches>;
