/**
 * @module What every redirect decision reads besides the request: the list of content caches
 * and each user's cache preferences (their own setting and their organizations' defaults),
 * kept in memory and dropped when a write says they changed.
 *
 * Why: a user with a cache asks main for a 307 per layer of every pull, and each decision read
 * the whole cache list and the user's settings and memberships from the database. These change
 * rarely, through main's own writes, which publish an invalidation topic on every replica
 * (`caches`, `accounts`; `*` after a lost notification channel; main/cluster/shared-memory.ts).
 * A read that started before an invalidation does not store its answer.
 *
 * The copies also expire (`listTtlMs`, `preferencesTtlMs`): the embedded backend has no channel
 * to other processes, and `outpost main cache add|remove` may run beside a running main, so its
 * change is seen within `listTtlMs` (a second) instead of at once.
 */
import { LRUCache } from 'lru-cache';
import { TOPICS } from '../cluster/shared-memory.js';
import { ALL_TOPICS } from '../metadata/cluster.js';
import type { ContentCache } from './content-caches.js';

export interface CachePreferences {
  userCache?: string;
  orgCaches: string[];
}

export interface RedirectInputsDeps {
  listCaches: () => Promise<ContentCache[]>;
  preferences: (user: string) => Promise<CachePreferences>;
  /** The cluster's invalidation topics (main/metadata/cluster.ts); returns the unsubscribe. */
  subscribe: (onTopic: (topic: string) => void) => () => void;
  now: () => number;
  /** Default 1 s. */
  listTtlMs?: number;
  /** Default 30 s. */
  preferencesTtlMs?: number;
  /** Users remembered at most (default 10,000). */
  maxUsers?: number;
}

export function rememberRedirectInputs(deps: RedirectInputsDeps) {
  const listTtlMs = deps.listTtlMs ?? 1_000;
  const preferencesTtlMs = deps.preferencesTtlMs ?? 30_000;
  let list: { value: ContentCache[]; until: number } | undefined;
  const preferences = new LRUCache<string, { value: CachePreferences; until: number }>({
    max: deps.maxUsers ?? 10_000,
  });
  // Bumped by each invalidation: an answer read before it is not kept.
  let listGeneration = 0;
  let preferencesGeneration = 0;
  const unsubscribe = deps.subscribe((topic) => {
    if (topic === TOPICS.caches || topic === ALL_TOPICS) {
      listGeneration++;
      list = undefined;
    }
    if (topic === TOPICS.accounts || topic === ALL_TOPICS) {
      preferencesGeneration++;
      preferences.clear();
    }
  });

  return {
    /** The content caches (shared: callers must not change them). */
    async listCaches(): Promise<ContentCache[]> {
      const now = deps.now();
      if (list && list.until > now) return list.value;
      const started = listGeneration;
      const value = await deps.listCaches();
      if (started === listGeneration) list = { value, until: now + listTtlMs };
      return value;
    },
    /** The user's setting and their organizations' defaults in order (shared: not to be changed). */
    async preferences(user: string): Promise<CachePreferences> {
      const now = deps.now();
      const known = preferences.get(user);
      if (known && known.until > now) return known.value;
      const started = preferencesGeneration;
      const value = await deps.preferences(user);
      if (started === preferencesGeneration) preferences.set(user, { value, until: now + preferencesTtlMs });
      return value;
    },
    stop: unsubscribe,
  };
}

export type RedirectInputs = ReturnType<typeof rememberRedirectInputs>;
