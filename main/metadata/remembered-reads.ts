/**
 * @module In-memory copies of the account reads on the request path, kept right across
 * replicas: the registry settings (every registry request checks them) and users' cache
 * preferences (every blob GET that may be redirected). On PostgreSQL each would otherwise be a
 * round trip per request; the embedded LMDB backend reads memory already and needs none of this.
 *
 * Every write through the wrapped store drops the copies here and publishes a topic, on which
 * every replica drops its own (main/metadata/cluster.ts). A read that was in flight when a
 * copy was dropped is not kept (generation check), and copies also expire after `maxAgeMs`, which
 * bounds staleness should a notification ever be lost in a way the coordinator cannot report.
 */
import type { AccountStore, CachePreferences } from './accounts.js';
import { ALL_TOPICS, type ClusterCoordinator } from './cluster.js';
import type { MetaSettings, SettingsStore } from './settings.js';

export const ACCOUNTS_TOPIC = 'accounts';
export const SETTINGS_TOPIC = 'settings';

export interface RememberOptions {
  /** A copy older than this is read again (default 60 s). */
  maxAgeMs?: number;
  /** Users whose preferences are kept at most (default 10,000). */
  maxUsers?: number;
  now?: () => number;
}

interface Copy<T> {
  value: T;
  at: number;
}

/** A map of copies dropped as a whole on invalidation, with the generation that guards in-flight reads. */
function createCopies<T>(maxEntries: number, maxAgeMs: number, now: () => number) {
  const copies = new Map<string, Copy<T>>();
  let generation = 0;
  return {
    drop() {
      generation++;
      copies.clear();
    },
    async read(key: string, load: () => Promise<T>): Promise<T> {
      const copy = copies.get(key);
      if (copy && now() - copy.at < maxAgeMs) return copy.value;
      const started = generation;
      const value = await load();
      if (generation === started) {
        // Oldest first out: Map keeps insertion order, and a re-read moves a key to the end.
        copies.delete(key);
        if (copies.size >= maxEntries) copies.delete(copies.keys().next().value as string);
        copies.set(key, { value, at: now() });
      }
      return value;
    },
  };
}

// Every AccountStore method that writes: a write may change someone's preferences.
const ACCOUNT_WRITES = [
  'createUser',
  'updateUser',
  'removeUser',
  'createOrg',
  'updateOrg',
  'removeOrg',
  'updateSettings',
  'setOrgMember',
  'removeOrgMember',
  'createTeam',
  'removeTeam',
  'addTeamMember',
  'removeTeamMember',
  'setTeamAccess',
  'removeTeamAccess',
] as const satisfies ReadonlyArray<keyof AccountStore>;

/** `store` with `cachePreferences` answered from memory; the unsubscribe is for the composition root's stop. */
export function rememberCachePreferences(
  store: AccountStore,
  coordinator: ClusterCoordinator,
  options: RememberOptions = {},
): { store: AccountStore; stop: () => void } {
  const copies = createCopies<CachePreferences>(
    options.maxUsers ?? 10_000,
    options.maxAgeMs ?? 60_000,
    options.now ?? Date.now,
  );
  const stop = coordinator.subscribe((topic) => {
    if (topic === ACCOUNTS_TOPIC || topic === ALL_TOPICS) copies.drop();
  });
  const remembering: AccountStore = {
    ...store,
    cachePreferences: (user) => copies.read(user, () => store.cachePreferences(user)),
  };
  for (const method of ACCOUNT_WRITES) {
    const write = store[method] as (...args: unknown[]) => Promise<unknown>;
    (remembering as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      try {
        return await write.apply(store, args);
      } finally {
        // Dropped whether the write went through or not (a failure may have been a lost reply).
        // A failed publish does not fail the write: the other replicas' copies expire.
        copies.drop();
        await coordinator.publish(ACCOUNTS_TOPIC).catch(() => {});
      }
    };
  }
  return { store: remembering, stop };
}

/** `store` with `getMetaSettings` answered from memory; the unsubscribe is for the composition root's stop. */
export function rememberMetaSettings(
  store: SettingsStore,
  coordinator: ClusterCoordinator,
  options: RememberOptions = {},
): { store: SettingsStore; stop: () => void } {
  const copies = createCopies<MetaSettings>(1, options.maxAgeMs ?? 60_000, options.now ?? Date.now);
  const stop = coordinator.subscribe((topic) => {
    if (topic === SETTINGS_TOPIC || topic === ALL_TOPICS) copies.drop();
  });
  return {
    store: {
      // A copy per caller: a caller changing its result must not change the next one's.
      getMetaSettings: async () => ({ ...(await copies.read('meta', () => store.getMetaSettings())) }),
      async updateMetaSettings(patch) {
        try {
          return await store.updateMetaSettings(patch);
        } finally {
          copies.drop();
          await coordinator.publish(SETTINGS_TOPIC).catch(() => {});
        }
      },
    },
    stop,
  };
}
