/**
 * @module `CacheStore` in LMDB, in main's environment, with the sub-databases and msgpack
 * encoding main has always used (existing data directories keep their caches and tokens):
 *
 *	caches            <name>                         ContentCacheRecord (its nodes inside)
 *	cacheJoinTokens   <sha256 of token, base64url>   JoinTokenRecord
 *	cacheHealth       <name>/<node id>               CacheHealthRecord (keys of one name: before groups)
 *	cacheHeartbeats   <name>/<node id>               CacheHeartbeatRecord
 *	cacheUsageSamples <name>/<node id>/<minute>      CacheUsageSample (minute: floor(at / 60 s), 12 digits,
 *	                                                 so a node's samples sort by time)
 *	cacheRedirectSamples <name>/<node id>/<minute>/<replica>   CacheRedirectSample (by time, then replica)
 *
 * Each write checks its relations and writes in one transaction (writeAtomically).
 */
import { writeAtomically, type Database, type RootDatabase } from '../../../src/store/lmdb.js';
import {
  USAGE_SAMPLE_DELETE_BATCH,
  USAGE_SAMPLE_RETENTION_MS,
  type CacheHealthRecord,
  type CacheHeartbeatRecord,
  type CacheRedirectSample,
  type CacheStore,
  type CacheUsageSample,
  type CacheWriteResult,
  type ContentCacheRecord,
  type JoinTokenRecord,
} from '../caches.js';

/** The fields createCache and updateCache write: nodes only change through joinCacheNode and removeCacheNode. */
const fieldsOf = ({ nodes: _nodes, ...fields }: ContentCacheRecord): ContentCacheRecord => fields;
const cacheOfKey = (key: string): string => key.slice(0, Math.max(0, key.indexOf('/')));
const minuteKey = (node: string, at: number): string => `${node}/${String(Math.floor(at / 60_000)).padStart(12, '0')}`;
/** The key range of everything under `prefix` ('0' follows '/'): `eu/` and not `eu-west/`. */
const under = (prefix: string) => ({ start: `${prefix}/`, end: `${prefix}0` });

export function createLmdbCacheStore(root: RootDatabase): CacheStore {
  const caches: Database<ContentCacheRecord, string> = root.openDB({ name: 'caches', encoding: 'msgpack' });
  const joinTokens: Database<JoinTokenRecord, string> = root.openDB({ name: 'cacheJoinTokens', encoding: 'msgpack' });
  const health: Database<CacheHealthRecord, string> = root.openDB({ name: 'cacheHealth', encoding: 'msgpack' });
  const heartbeats: Database<CacheHeartbeatRecord, string> = root.openDB({
    name: 'cacheHeartbeats',
    encoding: 'msgpack',
  });
  const samples: Database<CacheUsageSample, string> = root.openDB({ name: 'cacheUsageSamples', encoding: 'msgpack' });
  const redirectSamples: Database<CacheRedirectSample, string> = root.openDB({
    name: 'cacheRedirectSamples',
    encoding: 'msgpack',
  });
  /** Removes the usage and redirect samples under `prefix` (a cache or a node key), inside a write. */
  const forgetSamples = (prefix: string) => {
    for (const key of [...samples.getKeys(under(prefix))]) void samples.remove(key);
    for (const key of [...redirectSamples.getKeys(under(prefix))]) void redirectSamples.remove(key);
  };
  /** Deletes a bounded batch of `db`'s samples of node `key` from before `at`'s retention, inside a write. */
  const trim = (db: Database<unknown, string>, key: string, at: number) => {
    const old = db.getKeys({
      start: `${key}/`,
      end: minuteKey(key, at - USAGE_SAMPLE_RETENTION_MS),
      limit: USAGE_SAMPLE_DELETE_BATCH,
    });
    for (const stale of [...old]) void db.remove(stale);
  };
  /** A cache's samples at or after `since`, by node key (the key up to its minute). */
  const listByNode = <T extends { at: number }>(db: Database<T, string>, cache: string, since: number) => {
    const byNode = new Map<string, T[]>();
    for (const { key, value } of db.getRange(under(cache))) {
      if (value.at < since) continue;
      const node = key.split('/', 2).join('/');
      const list = byNode.get(node) ?? [];
      list.push(value);
      byNode.set(node, list);
    }
    return byNode;
  };
  /** Forgets what main knew of a node's health (probe and heartbeat) and its usage, inside a write. */
  const forgetNode = (key: string) => {
    void health.remove(key);
    void heartbeats.remove(key);
    forgetSamples(key);
  };

  /** Whether `record`'s upstream may be written for `name` (read inside the writing transaction). */
  const upstreamProblem = (name: string, record: ContentCacheRecord): CacheWriteResult | undefined => {
    const seen = new Set<string>();
    for (let next = record.upstream; next !== undefined; next = caches.get(next)?.upstream) {
      if (next === name) return 'cycle';
      if (!caches.doesExist(next)) return next === record.upstream ? 'upstream-unknown' : undefined;
      // A cycle among other caches (never written by this store) must not hang the walk.
      if (seen.has(next)) return undefined;
      seen.add(next);
    }
    return undefined;
  };

  return {
    async listCaches() {
      return [...caches.getRange()].map(({ key, value }) => ({ name: key, ...value }));
    },
    async getCache(name) {
      return caches.get(name);
    },
    createCache: (name, record) =>
      writeAtomically(root, (): CacheWriteResult => {
        // The upstream first, as main always answered: a bad upstream is INVALID_INPUT whatever the name.
        const problem = upstreamProblem(name, record);
        if (problem) return problem;
        if (caches.doesExist(name)) return 'exists';
        caches.put(name, fieldsOf(record));
        return 'done';
      }),
    updateCache: (name, record) =>
      writeAtomically(root, (): CacheWriteResult => {
        const existing = caches.get(name);
        if (!existing) return 'missing';
        const problem = upstreamProblem(name, record);
        if (problem) return problem;
        caches.put(name, { ...fieldsOf(record), ...(existing.nodes?.length && { nodes: existing.nodes }) });
        return 'done';
      }),
    removeCache: (name) =>
      writeAtomically(root, () => {
        if (!caches.doesExist(name)) return { removed: false, reason: 'missing' } as const;
        const dependants = [...caches.getRange()].filter(({ value }) => value.upstream === name).map(({ key }) => key);
        if (dependants.length > 0) return { removed: false, reason: 'upstream', dependants } as const;
        caches.remove(name);
        for (const key of [...health.getKeys()]) if (key === name || cacheOfKey(key) === name) health.remove(key);
        for (const key of [...heartbeats.getKeys()]) if (cacheOfKey(key) === name) heartbeats.remove(key);
        forgetSamples(name);
        return { removed: true } as const;
      }),
    joinCacheNode: (name, node) =>
      writeAtomically(root, () => {
        const existing = caches.get(name);
        if (!existing) return 'missing' as const;
        const nodes = existing.nodes ?? [];
        // One URL is one node: a node that moved to another id (a new data directory) replaces the old one.
        const replaced = nodes.filter((n) => n.id !== node.id && n.host === node.host);
        const kept = nodes.filter((n) => !replaced.includes(n));
        const at = kept.findIndex((n) => n.id === node.id);
        if (at >= 0) {
          const was = kept[at]!;
          const credentialHash = node.credentialHash ?? was.credentialHash;
          kept[at] = { ...node, joinedAt: was.joinedAt, ...(credentialHash !== undefined && { credentialHash }) };
        } else kept.push(node);
        caches.put(name, { ...existing, host: kept[0]!.host, nodes: kept });
        for (const gone of replaced) forgetNode(`${name}/${gone.id}`);
        return 'done' as const;
      }),
    removeCacheNode: (name, id) =>
      writeAtomically(root, () => {
        const existing = caches.get(name);
        const nodes = existing?.nodes ?? [];
        if (!existing || !nodes.some((n) => n.id === id)) return 'missing' as const;
        const kept = nodes.filter((n) => n.id !== id);
        caches.put(name, { ...existing, ...(kept[0] && { host: kept[0].host }), nodes: kept });
        forgetNode(`${name}/${id}`);
        return 'done' as const;
      }),

    async createJoinToken(tokenHash, record) {
      await joinTokens.put(tokenHash, record);
    },
    async getJoinToken(tokenHash) {
      return joinTokens.get(tokenHash);
    },
    purgeExpiredJoinTokens: (now) =>
      writeAtomically(root, () => {
        let purged = 0;
        for (const { key, value } of [...joinTokens.getRange()]) {
          if (value.expiresAt > now) continue;
          joinTokens.remove(key);
          purged++;
        }
        return purged;
      }),

    recordHealth: (records) =>
      writeAtomically(root, () => {
        for (const [key, record] of records) if (caches.doesExist(cacheOfKey(key))) void health.put(key, record);
      }),

    async listHealth() {
      const known = new Map<string, CacheHealthRecord>();
      for (const { key, value } of health.getRange()) if (caches.doesExist(cacheOfKey(key))) known.set(key, value);
      return known;
    },

    recordHeartbeat: (key, heartbeat) =>
      writeAtomically(root, () => {
        if (!caches.doesExist(cacheOfKey(key))) return;
        if ((heartbeats.get(key)?.at ?? Number.NEGATIVE_INFINITY) > heartbeat.at) return;
        void heartbeats.put(key, heartbeat);
      }),

    async listHeartbeats() {
      return new Map([...heartbeats.getRange()].map(({ key, value }) => [key, value]));
    },

    recordUsageSample: (key, sample) =>
      writeAtomically(root, () => {
        if (!caches.doesExist(cacheOfKey(key))) return;
        trim(samples, key, sample.at);
        void samples.put(minuteKey(key, sample.at), sample);
      }),

    listUsageSamples: async (cache, since) => listByNode(samples, cache, since),

    recordRedirectSample: (key, sample) =>
      writeAtomically(root, () => {
        if (!caches.doesExist(cacheOfKey(key))) return;
        trim(redirectSamples, key, sample.at);
        void redirectSamples.put(`${minuteKey(key, sample.at)}/${sample.replica}`, sample);
      }),

    listRedirectSamples: async (cache, since) => listByNode(redirectSamples, cache, since),
  };
}
