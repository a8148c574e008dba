/**
 * @module The cache list from memory, for replicas on a shared database: every blob GET's
 * redirect decision reads the list, and a query per decision would cost each pull a round trip.
 * A `CacheStore` decorator: reads come from a snapshot; a write goes to the store, drops this
 * replica's snapshot and publishes `CACHES_TOPIC`, on which every replica drops its own.
 *
 * A snapshot is also dropped after `maxAgeMs`, so that a write nobody announced (a command run
 * against the database, a notification lost while its connection was down and not yet
 * reported as a gap) shows within that time. The embedded backend does not need this: LMDB
 * reads are memory-mapped, and `outpost main cache add` in another process must apply at once.
 */
import type { CacheStore, ContentCache } from './caches.js';
import { ALL_TOPICS, type ClusterCoordinator } from './cluster.js';

export const CACHES_TOPIC = 'caches';

export interface CachedCacheStoreOptions {
  coordinator: Pick<ClusterCoordinator, 'publish' | 'subscribe'>;
  /** The longest a snapshot is used (default 5 s). */
  maxAgeMs?: number;
  now?: () => number;
  /** Told when a change could not be announced (the others then see it within `maxAgeMs`). */
  onPublishError?: (error: unknown) => void;
}

export interface CachedCacheStore extends CacheStore {
  /** Stops listening for changes. */
  close(): void;
}

interface Snapshot {
  caches: ContentCache[];
  byName: Map<string, ContentCache>;
  loadedAt: number;
}

export function createCachedCacheStore(store: CacheStore, options: CachedCacheStoreOptions): CachedCacheStore {
  const { coordinator, maxAgeMs = 5_000, now = Date.now, onPublishError = () => {} } = options;
  let snapshot: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;
  // Raised by every invalidation: a load that started before one must not install what it read.
  let generation = 0;

  const invalidate = () => {
    generation++;
    snapshot = undefined;
    loading = undefined;
  };
  const unsubscribe = coordinator.subscribe((topic) => {
    if (topic === CACHES_TOPIC || topic === ALL_TOPICS) invalidate();
  });

  function current(): Promise<Snapshot> {
    if (snapshot && now() - snapshot.loadedAt < maxAgeMs) return Promise.resolve(snapshot);
    if (loading) return loading;
    const started = generation;
    const loadedAt = now();
    const load = store.listCaches().then((caches) => {
      const loaded: Snapshot = { caches, byName: new Map(caches.map((c) => [c.name, c])), loadedAt };
      if (generation === started) snapshot = loaded;
      return loaded;
    });
    loading = load;
    const clear = () => {
      if (loading === load) loading = undefined;
    };
    load.then(clear, clear);
    return load;
  }

  /**
   * After a write: a change is dropped here at once and announced to the others. A refusal is
   * dropped here too, announced to none: it says this snapshot was stale (a name taken or gone
   * meanwhile), and a caller that reads again (a join retrying as an update) must see the store.
   */
  async function settled(changed: boolean): Promise<void> {
    invalidate();
    if (changed) await coordinator.publish(CACHES_TOPIC).catch(onPublishError);
  }

  const copy = (cache: ContentCache): ContentCache => ({ ...cache, networks: [...cache.networks] });

  return {
    async listCaches() {
      return (await current()).caches.map(copy);
    },
    async getCache(name) {
      const cache = (await current()).byName.get(name);
      if (!cache) return undefined;
      const { name: _name, ...record } = copy(cache);
      return record;
    },
    async createCache(name, record) {
      const result = await store.createCache(name, record);
      await settled(result === 'done');
      return result;
    },
    async updateCache(name, record) {
      const result = await store.updateCache(name, record);
      await settled(result === 'done');
      return result;
    },
    async removeCache(name) {
      const result = await store.removeCache(name);
      await settled(result.removed);
      return result;
    },
    createJoinToken: (tokenHash, record) => store.createJoinToken(tokenHash, record),
    getJoinToken: (tokenHash) => store.getJoinToken(tokenHash),
    purgeExpiredJoinTokens: (at) => store.purgeExpiredJoinTokens(at),
    close: () => {
      unsubscribe();
    },
  };
}
