/**
 * @module The metadata as every process on a shared PostgreSQL database uses it: hot reads from
 * memory, and writes that tell every replica to forget what it remembered. Must not be bypassed
 * by a writer (main/main-data.ts applies it), or running replicas serve stale answers.
 */
import type { Metadata } from '../metadata/metadata.js';
import { cacheReads } from './read-through-cache.js';

/**
 * On PostgreSQL, the reads every request makes come from memory, invalidated across replicas
 * (main/cluster/read-through-cache.ts); the embedded LMDB answers them in microseconds as it is.
 * Every process on the database goes through it, the offline commands included: their writes
 * must reach the memory of the replicas running (a removed user's tokens stop working at once).
 */
export function withSharedMemory(metadata: Metadata): Metadata {
  if (metadata.backend === 'embedded') return metadata;
  const { coordinator } = metadata;
  return {
    ...metadata,
    revokeCredentials: metadata.revokeCredentials,
    close: () => metadata.close(),
    registry: cacheReads(metadata.registry, {
      topic: 'repositories',
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
      topic: 'accounts',
      reads: ['getUser', 'getOrg', 'cachePreferences', 'namespaceAccess', 'accountType', 'getOrgMember', 'getSettings'],
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
        'removeTeam',
        'addTeamMember',
        'removeTeamMember',
        'setTeamAccess',
        'removeTeamAccess',
      ],
      coordinator,
    }),
    settings: cacheReads(metadata.settings, {
      topic: 'settings',
      reads: ['getMetaSettings'],
      writes: ['updateMetaSettings'],
      coordinator,
    }),
    caches: cacheReads(metadata.caches, {
      topic: 'caches',
      reads: ['listCaches', 'getCache'],
      writes: ['createCache', 'updateCache', 'removeCache', 'joinCacheNode', 'removeCacheNode'],
      coordinator,
    }),
  };
}
