/**
 * @module `CacheStore` in PostgreSQL (tables in caches-schema.ts).
 *
 * Cache writes are rare (an admin, an edge starting) and must keep relations across rows (no
 * cycle through several caches): each takes the table's EXCLUSIVE lock, which queues the other
 * writers and lets readers (every redirect decision) go on, then checks and writes. The foreign
 * key keeps "a known upstream" and "no removal under a dependant" even for a writer that would
 * skip the lock.
 */
import type {
  CacheHeartbeatRecord,
  CacheNodeRecord,
  CacheNodeStats,
  CacheStore,
  CacheWriteResult,
  ContentCache,
  ContentCacheRecord,
  JoinTokenRecord,
} from '../caches.js';
import type { PostgresDatabase, Queryable } from './database.js';
import { createPostgresUsageSamples } from './cache-usage-samples.js';
import { createPostgresRedirectSamples } from './cache-redirect-samples.js';

interface CacheRow {
  name: string;
  host: string;
  upstream: string | null;
  region: string | null;
  networks: string[];
  created_at: string;
}

const COLUMNS = 'name, host, upstream, region, networks, created_at';

function toCache(row: CacheRow): ContentCache {
  return {
    name: row.name,
    host: row.host,
    ...(row.upstream !== null && { upstream: row.upstream }),
    ...(row.region !== null && { region: row.region }),
    networks: row.networks,
    createdAt: Number(row.created_at),
  };
}

const recordOf = ({ name: _name, ...record }: ContentCache): ContentCacheRecord => record;

interface NodeRow {
  cache: string;
  id: string;
  host: string;
  joined_at: string;
  credential_hash: string | null;
}

/** The caches with their nodes (join order), from the rows of both tables. */
function withNodes(caches: ContentCache[], rows: NodeRow[]): ContentCache[] {
  const byCache = new Map<string, CacheNodeRecord[]>();
  for (const row of rows) {
    const nodes = byCache.get(row.cache) ?? [];
    nodes.push({
      id: row.id,
      host: row.host,
      joinedAt: Number(row.joined_at),
      ...(row.credential_hash !== null && { credentialHash: row.credential_hash }),
    });
    byCache.set(row.cache, nodes);
  }
  return caches.map((cache) => {
    const nodes = byCache.get(cache.name);
    return nodes ? { ...cache, nodes } : cache;
  });
}

const NODE_ORDER = 'ORDER BY cache, joined_at, id COLLATE "C"';

/** A cache's host is its first node's (join order); a cache left without nodes keeps its host. */
const firstNodeHost = (tx: Queryable, name: string) =>
  tx.query(
    `UPDATE outpost_content_caches c SET host = n.host
       FROM (SELECT host FROM outpost_cache_nodes WHERE cache = $1 ORDER BY joined_at, id COLLATE "C" LIMIT 1) n
      WHERE c.name = $1`,
    [name],
  );

/** Forgets what main knew of nodes' health (probe and heartbeats). */
async function forgetNodes(tx: Queryable, name: string, ids: string[]): Promise<void> {
  await tx.query('DELETE FROM outpost_cache_health WHERE cache = $1 AND node = ANY($2::text[])', [name, ids]);
  await tx.query('DELETE FROM outpost_cache_heartbeats WHERE cache = $1 AND node = ANY($2::text[])', [name, ids]);
  await tx.query('DELETE FROM outpost_cache_usage_samples WHERE cache = $1 AND node = ANY($2::text[])', [name, ids]);
  await tx.query('DELETE FROM outpost_cache_redirect_samples WHERE cache = $1 AND node = ANY($2::text[])', [name, ids]);
}

const lock = (tx: Queryable) => tx.query('LOCK TABLE outpost_content_caches IN EXCLUSIVE MODE');

/** Whether `record`'s upstream may be written for `name`: read under the lock. */
async function upstreamProblem(
  tx: Queryable,
  name: string,
  record: ContentCacheRecord,
): Promise<CacheWriteResult | undefined> {
  if (record.upstream === undefined) return undefined;
  if (record.upstream === name) return 'cycle';
  // The chain above the upstream, the upstream first; a cycle among others cannot exist (every
  // write is checked), the depth bound only guards the query.
  const chain = await tx.query<{ name: string }>(
    `WITH RECURSIVE chain (name, upstream, depth) AS (
       SELECT name, upstream, 1 FROM outpost_content_caches WHERE name = $1
       UNION ALL
       SELECT c.name, c.upstream, chain.depth + 1 FROM outpost_content_caches c
         JOIN chain ON c.name = chain.upstream WHERE chain.depth < 64
     ) SELECT name FROM chain`,
    [record.upstream],
  );
  if (chain.length === 0) return 'upstream-unknown';
  return chain.some((row) => row.name === name) ? 'cycle' : undefined;
}

const params = (name: string, r: ContentCacheRecord) => [
  name,
  r.host,
  r.upstream ?? null,
  r.region ?? null,
  r.networks,
  r.createdAt,
];

export function createPostgresCacheStore(db: PostgresDatabase): CacheStore {
  return {
    ...createPostgresUsageSamples(db),
    ...createPostgresRedirectSamples(db),
    async listCaches() {
      const rows = await db.query<CacheRow>(`SELECT ${COLUMNS} FROM outpost_content_caches ORDER BY name COLLATE "C"`);
      const nodes = await db.query<NodeRow>(
        `SELECT cache, id, host, joined_at, credential_hash FROM outpost_cache_nodes ${NODE_ORDER}`,
      );
      return withNodes(rows.map(toCache), nodes);
    },
    async getCache(name) {
      const [row] = await db.query<CacheRow>(`SELECT ${COLUMNS} FROM outpost_content_caches WHERE name = $1`, [name]);
      if (!row) return undefined;
      const nodes = await db.query<NodeRow>(
        `SELECT cache, id, host, joined_at, credential_hash FROM outpost_cache_nodes WHERE cache = $1 ${NODE_ORDER}`,
        [name],
      );
      const [cache] = withNodes([toCache(row)], nodes);
      return cache && recordOf(cache);
    },
    createCache: (name, record) =>
      db.transaction(async (tx): Promise<CacheWriteResult> => {
        await lock(tx);
        const problem = await upstreamProblem(tx, name, record);
        if (problem) return problem;
        const inserted = await tx.query(
          `INSERT INTO outpost_content_caches (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (name) DO NOTHING RETURNING name`,
          params(name, record),
        );
        return inserted.length > 0 ? 'done' : 'exists';
      }),
    updateCache: (name, record) =>
      db.transaction(async (tx): Promise<CacheWriteResult> => {
        await lock(tx);
        const exists = await tx.query('SELECT 1 FROM outpost_content_caches WHERE name = $1', [name]);
        if (exists.length === 0) return 'missing';
        const problem = await upstreamProblem(tx, name, record);
        if (problem) return problem;
        await tx.query(
          `UPDATE outpost_content_caches SET host = $2, upstream = $3, region = $4, networks = $5, created_at = $6
           WHERE name = $1`,
          params(name, record),
        );
        return 'done';
      }),
    removeCache: (name) =>
      db.transaction(async (tx) => {
        await lock(tx);
        const exists = await tx.query('SELECT 1 FROM outpost_content_caches WHERE name = $1', [name]);
        if (exists.length === 0) return { removed: false, reason: 'missing' } as const;
        const dependants = await tx.query<{ name: string }>(
          'SELECT name FROM outpost_content_caches WHERE upstream = $1 ORDER BY name COLLATE "C"',
          [name],
        );
        if (dependants.length > 0)
          return { removed: false, reason: 'upstream', dependants: dependants.map((row) => row.name) } as const;
        await tx.query('DELETE FROM outpost_content_caches WHERE name = $1', [name]);
        return { removed: true } as const;
      }),
    joinCacheNode: (name, node) =>
      db.transaction(async (tx) => {
        await lock(tx);
        const exists = await tx.query('SELECT 1 FROM outpost_content_caches WHERE name = $1', [name]);
        if (exists.length === 0) return 'missing' as const;
        const [count] = await tx.query<{ n: string }>(
          'SELECT count(*) AS n FROM outpost_cache_nodes WHERE cache = $1',
          [name],
        );
        if (Number(count?.n ?? 0) === 0)
          await tx.query('UPDATE outpost_content_caches SET host = $2 WHERE name = $1', [name, node.host]);
        // One URL is one node: a node that moved to another id (a new data directory) replaces the old one.
        const replaced = await tx.query<{ id: string }>(
          'DELETE FROM outpost_cache_nodes WHERE cache = $1 AND host = $2 AND id <> $3 RETURNING id',
          [name, node.host, node.id],
        );
        if (replaced.length > 0)
          await forgetNodes(
            tx,
            name,
            replaced.map((r) => r.id),
          );
        await tx.query(
          `INSERT INTO outpost_cache_nodes (cache, id, host, joined_at, credential_hash) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (cache, id) DO UPDATE
             SET host = EXCLUDED.host,
                 credential_hash = COALESCE(EXCLUDED.credential_hash, outpost_cache_nodes.credential_hash)`,
          [name, node.id, node.host, node.joinedAt, node.credentialHash ?? null],
        );
        await firstNodeHost(tx, name);
        return 'done' as const;
      }),
    removeCacheNode: (name, id) =>
      db.transaction(async (tx) => {
        await lock(tx);
        const removed = await tx.query('DELETE FROM outpost_cache_nodes WHERE cache = $1 AND id = $2 RETURNING id', [
          name,
          id,
        ]);
        if (removed.length === 0) return 'missing' as const;
        await forgetNodes(tx, name, [id]);
        await firstNodeHost(tx, name);
        return 'done' as const;
      }),

    async createJoinToken(tokenHash, record) {
      await db.query(
        `INSERT INTO outpost_cache_join_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (token_hash) DO UPDATE SET created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
        [tokenHash, record.createdAt, record.expiresAt],
      );
    },
    async getJoinToken(tokenHash) {
      const [row] = await db.query<{ created_at: string; expires_at: string }>(
        'SELECT created_at, expires_at FROM outpost_cache_join_tokens WHERE token_hash = $1',
        [tokenHash],
      );
      if (!row) return undefined;
      const record: JoinTokenRecord = { createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
      return record;
    },
    async purgeExpiredJoinTokens(now) {
      const rows = await db.query('DELETE FROM outpost_cache_join_tokens WHERE expires_at <= $1 RETURNING 1', [now]);
      return rows.length;
    },

    async recordHealth(records) {
      if (records.size === 0) return;
      const keys = [...records.keys()];
      const rows = keys.map((key) => records.get(key)!);
      const split = keys.map((key) => [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)] as const);
      // One statement for the round; keys of caches removed meanwhile are skipped by the join.
      await db.query(
        `INSERT INTO outpost_cache_health (cache, node, up, checked_at, last_error, failures, successes, reached)
         SELECT r.cache, r.node, r.up, r.checked_at, r.last_error, r.failures, r.successes, r.reached
           FROM unnest($1::text[], $2::text[], $3::boolean[], $4::bigint[], $5::text[], $6::int[], $7::int[],
                       $8::boolean[])
                AS r(cache, node, up, checked_at, last_error, failures, successes, reached)
           JOIN outpost_content_caches c ON c.name = r.cache
         ON CONFLICT (cache, node) DO UPDATE SET up = EXCLUDED.up, checked_at = EXCLUDED.checked_at,
           last_error = EXCLUDED.last_error, failures = EXCLUDED.failures, successes = EXCLUDED.successes,
           reached = EXCLUDED.reached`,
        [
          split.map(([cache]) => cache),
          split.map(([, node]) => node),
          rows.map((r) => r.up),
          rows.map((r) => r.checkedAt),
          rows.map((r) => r.lastError ?? null),
          rows.map((r) => r.failures),
          rows.map((r) => r.successes),
          rows.map((r) => r.reached === true),
        ],
      );
    },

    async listHealth() {
      const rows = await db.query<{
        cache: string;
        node: string;
        up: boolean;
        checked_at: string;
        last_error: string | null;
        failures: number;
        successes: number;
        reached: boolean;
      }>('SELECT cache, node, up, checked_at, last_error, failures, successes, reached FROM outpost_cache_health');
      return new Map(
        rows.map((r) => [
          `${r.cache}/${r.node}`,
          {
            up: r.up,
            checkedAt: Number(r.checked_at),
            ...(r.last_error !== null && { lastError: r.last_error }),
            failures: r.failures,
            successes: r.successes,
            ...(r.reached && { reached: true as const }),
          },
        ]),
      );
    },

    async recordHeartbeat(key, heartbeat) {
      const at = key.indexOf('/');
      // A heartbeat received earlier, by another replica, but written later does not replace a newer one.
      await db.query(
        `INSERT INTO outpost_cache_heartbeats (cache, node, at, ok, stats)
         SELECT $1::text, $2::text, $3::bigint, $4::boolean, $5::jsonb WHERE EXISTS (SELECT 1 FROM outpost_content_caches WHERE name = $1)
         ON CONFLICT (cache, node) DO UPDATE SET at = EXCLUDED.at, ok = EXCLUDED.ok, stats = EXCLUDED.stats
           WHERE outpost_cache_heartbeats.at <= EXCLUDED.at`,
        [
          key.slice(0, at),
          key.slice(at + 1),
          heartbeat.at,
          heartbeat.ok,
          heartbeat.stats ? JSON.stringify(heartbeat.stats) : null,
        ],
      );
    },

    async listHeartbeats() {
      const rows = await db.query<{
        cache: string;
        node: string;
        at: string;
        ok: boolean;
        stats: CacheNodeStats | null;
      }>('SELECT cache, node, at, ok, stats FROM outpost_cache_heartbeats');
      return new Map(
        rows.map((r): [string, CacheHeartbeatRecord] => [
          `${r.cache}/${r.node}`,
          { at: Number(r.at), ok: r.ok, ...(r.stats !== null && { stats: r.stats }) },
        ]),
      );
    },
  };
}
