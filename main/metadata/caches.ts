/**
 * @module The content-caches family: the caches main knows (DTR's `content_caches`) and the
 * join tokens edges register themselves with. The store keeps the relations that must hold
 * whoever writes (an upstream names a known cache, chains have no cycle, a cache others pull
 * through is not removed) inside each write; the checks of each field's shape, and the
 * messages, are the domain's (main/caches/content-caches.ts, join-tokens.ts).
 */

export interface ContentCacheRecord {
  /** The edge's public URL: where clients are redirected. */
  host: string;
  /** The cache this one pulls from; absent means main. */
  upstream?: string;
  region?: string;
  /** Client networks (CIDR) this cache serves when a user has no preference. */
  networks: string[];
  createdAt: number;
  /**
   * The edge nodes of this cache (a group), in join order, written only by `joinCacheNode` and
   * `removeCacheNode` (createCache and updateCache keep them as they are). Absent or empty: one
   * node at `host`, as every cache was before groups.
   */
  nodes?: CacheNodeRecord[];
}

/** One edge node of a cache group: the node id its edge persists, and its public URL. */
export interface CacheNodeRecord {
  id: string;
  host: string;
  joinedAt: number;
  /**
   * SHA-256 (base64url) of the node's credential (caches/node-credentials.ts). `joinCacheNode`
   * without one keeps the node's current one. Never leaves main.
   */
  credentialHash?: string;
}

/** The key of a node's health record: node ids and cache names never contain '/'. */
export const nodeKey = (cache: string, node: string): string => `${cache}/${node}`;

export interface ContentCache extends ContentCacheRecord {
  name: string;
}

export interface JoinTokenRecord {
  createdAt: number;
  expiresAt: number;
}

/** The outcome of a cache write; anything but 'done' changed nothing. */
export type CacheWriteResult =
  /** Written. */
  | 'done'
  /** createCache: a cache of that name exists already. */
  | 'exists'
  /** updateCache: no cache of that name. */
  | 'missing'
  /** The record's `upstream` names no cache. */
  | 'upstream-unknown'
  /** The record's `upstream` leads back to the cache written. */
  | 'cycle';

export type CacheRemoveResult =
  | { removed: true }
  | { removed: false; reason: 'missing' }
  /** Other caches pull through this one (`dependants`, in name order). */
  | { removed: false; reason: 'upstream'; dependants: string[] };

/** What main's health probe last saw of a cache, shared by replicas so that one probes for all. */
export interface CacheHealthRecord {
  up: boolean;
  checkedAt: number;
  lastError?: string;
  /** Failed probes in a row, and successful ones: a cache goes down and up again on these. */
  failures: number;
  successes: number;
  /**
   * A probe once succeeded: probes decide from then on, whatever the node's heartbeats say
   * (absent: main never reached it, and a fresh heartbeat keeps it up).
   */
  reached?: true;
}

/**
 * What an edge says of itself: its store's use and the blob requests it answered (hits from its
 * store), and (since the dashboard) its traffic; the counters are cumulative since the edge started.
 */
export interface CacheNodeStats {
  storeBytes?: number;
  maxBytes?: number;
  blobs?: number;
  hits?: number;
  misses?: number;
  /** Blob bytes sent to clients. */
  servedBytes?: number;
  /** Blob bytes received from upstream. */
  upstreamBytes?: number;
  /** Blobs removed from the store (space, ttl, purge). */
  evictions?: number;
}

/**
 * An edge node's last heartbeat, shared by replicas: the balancer sends each heartbeat to one of
 * them, and every replica must judge the node (an edge main cannot reach is up while its
 * heartbeats are fresh) and show its stats the same way.
 */
export interface CacheHeartbeatRecord {
  /** When a replica received it (epoch ms): freshness is judged from this by every replica. */
  at: number;
  /** Whether the edge said it can serve. */
  ok: boolean;
  stats?: CacheNodeStats;
}

/**
 * One sample of a node's cumulative counters (the admin dashboard's history): written as its
 * heartbeats arrive, at most one per node per minute (the last of the minute), kept 25 hours.
 * Counters go down when the edge restarted.
 */
export interface CacheUsageSample {
  /** When main received the heartbeat (epoch ms). */
  at: number;
  hits: number;
  misses: number;
  servedBytes: number;
  upstreamBytes: number;
  evictions: number;
  /** The store's state at that moment (not counters). */
  blobs: number;
  storeBytes: number;
  maxBytes: number;
}

/**
 * One sample of the redirects one replica of main sent a node since that replica started: each
 * replica keeps its own series (cumulative, at most one per node, replica and minute, 25 hours
 * kept), so that the node's redirects are the sum over the series whichever replica decided them.
 */
export interface CacheRedirectSample {
  /** When the replica took the sample (epoch ms). */
  at: number;
  /** The replica's id (its process, a new one at each start; never contains '/'). */
  replica: string;
  redirects: number;
}

/** How long usage samples are kept: a day of history plus an hour, so a full day always has a start. */
export const USAGE_SAMPLE_RETENTION_MS = 25 * 3_600_000;
/** The samples one write deletes at most (older than the retention): keeps each write small. */
export const USAGE_SAMPLE_DELETE_BATCH = 100;

/**
 * Content caches and join tokens. Every write is all or nothing, its checks and its change
 * done at once (two admins or two edges writing together cannot break a relation). Methods
 * reject with the backend's failure (LMDB: `code` EIO/ENOSPC; PostgreSQL: UNAVAILABLE).
 */
export interface CacheStore {
  /** Every cache, in name order. */
  listCaches(): Promise<ContentCache[]>;
  getCache(name: string): Promise<ContentCacheRecord | undefined>;
  /**
   * Adds a cache: 'upstream-unknown' or 'cycle' (upstream is the name itself) refuse it, checked
   * before 'exists'.
   */
  createCache(name: string, record: ContentCacheRecord): Promise<CacheWriteResult>;
  /** Replaces a cache's record: 'missing', 'upstream-unknown' or 'cycle' refuse it. */
  updateCache(name: string, record: ContentCacheRecord): Promise<CacheWriteResult>;
  removeCache(name: string): Promise<CacheRemoveResult>;
  /**
   * Adds a node to a cache or moves it (same id): another node at the same host is replaced (one
   * URL is one node). The cache's `host` becomes its first node's (join order), so a cache of one
   * node moves with it.
   */
  joinCacheNode(name: string, node: CacheNodeRecord): Promise<'done' | 'missing'>;
  /** Removes a node and its health record (`host` becomes the first remaining node's); 'missing' when unknown. */
  removeCacheNode(name: string, id: string): Promise<'done' | 'missing'>;

  /** Stores a join token under the base64url SHA-256 of the token (the token itself is never stored). */
  createJoinToken(tokenHash: string, record: JoinTokenRecord): Promise<void>;
  /** The token stored under `tokenHash`, expired or not; undefined when none. */
  getJoinToken(tokenHash: string): Promise<JoinTokenRecord | undefined>;
  /** Removes join tokens expired at or before `now`; returns how many. */
  purgeExpiredJoinTokens(now: number): Promise<number>;

  /**
   * Records what the probe saw of the nodes (one replica probes for the cluster), keyed by
   * `nodeKey(cache, node)`; keys of unknown caches are ignored.
   */
  recordHealth(health: ReadonlyMap<string, CacheHealthRecord>): Promise<void>;
  /** What the probe last recorded, by `nodeKey` (a removed cache's health goes with it). */
  listHealth(): Promise<Map<string, CacheHealthRecord>>;

  /**
   * Records a node's heartbeat under `nodeKey(cache, node)`, replacing an older one (one received
   * earlier by another replica but written later is dropped); a key of an unknown cache is ignored.
   * Removing the cache or the node (or a node replacing it at its host) removes its heartbeat.
   */
  recordHeartbeat(key: string, heartbeat: CacheHeartbeatRecord): Promise<void>;
  /** Every node's last heartbeat, by `nodeKey`. */
  listHeartbeats(): Promise<Map<string, CacheHeartbeatRecord>>;

  /**
   * Records a usage sample of the node under `nodeKey(cache, node)`, replacing the one of the same
   * minute (`floor(at / 60 s)`); deletes up to USAGE_SAMPLE_DELETE_BATCH of the node's samples older
   * than `at - USAGE_SAMPLE_RETENTION_MS`. A key of an unknown cache is ignored. Removing the cache or
   * the node (or a node replacing it at its host) removes its samples.
   */
  recordUsageSample(key: string, sample: CacheUsageSample): Promise<void>;
  /** The samples of a cache's nodes taken at or after `since`, by `nodeKey`, oldest first. */
  listUsageSamples(cache: string, since: number): Promise<Map<string, CacheUsageSample[]>>;

  /**
   * Records a replica's redirect sample of the node under `nodeKey(cache, node)`, replacing that
   * replica's one of the same minute; deletes up to USAGE_SAMPLE_DELETE_BATCH of the node's redirect
   * samples (any replica's) older than `at - USAGE_SAMPLE_RETENTION_MS`. A key of an unknown cache is
   * ignored; removing the cache or the node (or a node replacing it at its host) removes the samples.
   */
  recordRedirectSample(key: string, sample: CacheRedirectSample): Promise<void>;
  /** The redirect samples of a cache's nodes taken at or after `since`, by `nodeKey`, by minute then replica. */
  listRedirectSamples(cache: string, since: number): Promise<Map<string, CacheRedirectSample[]>>;
}
