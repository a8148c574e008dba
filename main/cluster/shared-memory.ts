/**
 * @module The metadata as every process uses it: on a shared PostgreSQL database, hot reads from
 * memory; on both backends, writes that tell every replica (the embedded main: itself) to forget
 * what it remembered. Must not be bypassed by a writer (main/main-data.ts applies it), or running
 * replicas serve stale answers.
 */
import type { ClusterCoordinator } from '../metadata/cluster.js';
import type { Metadata } from '../metadata/metadata.js';
import { cacheReads } from './read-through-cache.js';

/** The invalidation topics of the owners' writes (what else keeps copies subscribes to them). */
export const TOPICS = { repositories: 'repositories', accounts: 'accounts', settings: 'settings', caches: 'caches' };

/**
 * On PostgreSQL, the reads every request makes come from memory, invalidated across replicas
 * (main/cluster/read-through-cache.ts); the embedded LMDB answers them in microseconds as it is.
 * Every process on the database goes through it, the offline commands included: their writes
 * must reach the memory of the replicas running (a removed user's tokens stop working at once).
 * On both, every write publishes its topic, for the copies kept above the owners (the redirect
 * decision's inputs, main/caches/redirect-inputs.ts).
 */
export function withSharedMemory(metadata: Metadata): Metadata {
  const remembers = metadata.backend !== 'embedded';
  // The embedded coordinator delivers in-process already.
  const coordinator = remembers ? deliveringLocally(metadata.coordinator) : metadata.coordinator;
  const reads = <T>(names: T[]): T[] => (remembers ? names : []);
  return {
    ...metadata,
    coordinator,
    revokeCredentials: metadata.revokeCredentials,
    close: () => metadata.close(),
    // Nothing above the embedded registry keeps copies: its pushes need no topic.
    registry: !remembers
      ? metadata.registry
      : cacheReads(metadata.registry, {
          topic: TOPICS.repositories,
          // A blob's size in a repository answers every blob GET and redirect; only found answers are
          // kept, so a push on another replica is seen at once, and whatever removes a link drops them.
          reads: ['getRepository', 'blobSizeIn'],
          writes: [
            'createRepository',
            'updateRepository',
            'deleteRepository',
            'unlinkBlob',
            'revertLink',
            'collectBlob',
            'dropBlobs',
          ],
          coordinator,
        }),
    accounts: cacheReads(metadata.accounts, {
      topic: TOPICS.accounts,
      reads: reads([
        'getUser',
        'getOrg',
        'cachePreferences',
        'namespaceAccess',
        'accountType',
        'getOrgMember',
        'getSettings',
      ]),
      writes: [
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
        'updateTeam',
        'removeTeam',
        'addTeamMember',
        'removeTeamMember',
        'setTeamAccess',
        'removeTeamAccess',
      ],
      coordinator,
    }),
    settings: cacheReads(metadata.settings, {
      topic: TOPICS.settings,
      reads: reads(['getMetaSettings', 'getLdapSettings']),
      writes: ['updateMetaSettings', 'setLdapSettings'],
      coordinator,
    }),
    caches: cacheReads(metadata.caches, {
      topic: TOPICS.caches,
      reads: reads(['listCaches', 'getCache']),
      writes: ['createCache', 'updateCache', 'removeCache', 'joinCacheNode', 'removeCacheNode'],
      coordinator,
    }),
  };
}

/**
 * The coordinator as this process's copies need it: a topic published here reaches this
 * process's subscribers at once, not only when PostgreSQL sends the notification back
 * (milliseconds later), so that a replica's next read after its own write never answers from a
 * copy that write made stale. The notification still comes back, and drops those copies a
 * second time, which costs one read.
 */
function deliveringLocally(coordinator: ClusterCoordinator): ClusterCoordinator {
  const local = new Set<(topic: string) => void>();
  return {
    ...coordinator,
    async publish(topic) {
      for (const subscriber of local) subscriber(topic);
      await coordinator.publish(topic);
    },
    subscribe(onTopic) {
      local.add(onTopic);
      const unsubscribe = coordinator.subscribe(onTopic);
      return () => {
        local.delete(onTopic);
        unsubscribe();
      };
    },
  };
}
