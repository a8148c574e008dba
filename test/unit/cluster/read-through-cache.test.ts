import { describe, expect, it } from 'vitest';
import { cacheReads } from '../../../main/cluster/read-through-cache.js';
import { createSingleProcessCoordinator } from '../../../main/metadata/lmdb/cluster.js';
import { ALL_TOPICS } from '../../../main/metadata/cluster.js';

/** A store that counts the reads that reach it. */
function countingStore() {
  const users = new Map<string, { name: string; isAdmin: boolean }>([['alice', { name: 'alice', isAdmin: false }]]);
  const calls = { getUser: 0, listUsers: 0 };
  let release: (() => void) | undefined;
  return {
    calls,
    users,
    holdNextRead() {
      return new Promise<void>((resolve) => (release = resolve));
    },
    store: {
      async getUser(name: string) {
        calls.getUser++;
        if (release) {
          const r = release;
          release = undefined;
          await new Promise((resolve) => setTimeout(resolve, 20));
          r();
        }
        return users.get(name);
      },
      async listUsers() {
        calls.listUsers++;
        return [...users.values()];
      },
      async updateUser(name: string, isAdmin: boolean) {
        users.set(name, { name, isAdmin });
      },
      async failingWrite(): Promise<void> {
        throw new Error('lost connection at commit');
      },
    },
  };
}

const options = (coordinator = createSingleProcessCoordinator()) => ({
  topic: 'accounts',
  reads: ['getUser'] as const,
  writes: ['updateUser', 'failingWrite'] as const,
  coordinator,
});

describe('a read-through cache in front of a metadata owner', () => {
  it('answers repeated reads from memory, with copies the caller cannot corrupt', async () => {
    const { store, calls } = countingStore();
    const cached = cacheReads(store, { ...options(), reads: ['getUser'], writes: ['updateUser'] });
    const first = await cached.getUser('alice');
    first!.isAdmin = true;
    expect(await cached.getUser('alice')).toEqual({ name: 'alice', isAdmin: false });
    expect(calls.getUser).toBe(1);
    await cached.listUsers();
    await cached.listUsers();
    expect(calls.listUsers).toBe(2);
  });

  it('asks again for what was not found, so a record created elsewhere is seen at once', async () => {
    const { store, calls, users } = countingStore();
    const cached = cacheReads(store, { ...options(), reads: ['getUser'], writes: ['updateUser'] });
    expect(await cached.getUser('bob')).toBeUndefined();
    users.set('bob', { name: 'bob', isAdmin: false });
    expect(await cached.getUser('bob')).toEqual({ name: 'bob', isAdmin: false });
    expect(calls.getUser).toBe(2);
  });

  it("drops what it remembered when a write succeeds or fails, here and on every replica's cache", async () => {
    const coordinator = createSingleProcessCoordinator();
    const { store, calls } = countingStore();
    const here = cacheReads(store, { ...options(coordinator), reads: ['getUser'], writes: ['updateUser'] });
    // Another replica's cache over the same data, on the same invalidation channel.
    const there = cacheReads(store, {
      ...options(coordinator),
      reads: ['getUser'],
      writes: ['updateUser', 'failingWrite'],
    });
    await here.getUser('alice');
    await there.getUser('alice');
    await here.updateUser('alice', true);
    expect(await there.getUser('alice')).toEqual({ name: 'alice', isAdmin: true });
    expect(calls.getUser).toBe(3);
    await expect(there.failingWrite()).rejects.toThrow('lost connection');
    await here.getUser('alice');
    expect(calls.getUser).toBe(4);
  });

  it('drops everything after a gap in the invalidation channel, and ignores other topics', async () => {
    const coordinator = createSingleProcessCoordinator();
    const { store, calls } = countingStore();
    const cached = cacheReads(store, { ...options(coordinator), reads: ['getUser'], writes: [] });
    await cached.getUser('alice');
    await coordinator.publish('caches');
    await cached.getUser('alice');
    expect(calls.getUser).toBe(1);
    await coordinator.publish(ALL_TOPICS);
    await cached.getUser('alice');
    expect(calls.getUser).toBe(2);
  });

  it('does not keep an answer read before an invalidation that arrived while it was in flight', async () => {
    const coordinator = createSingleProcessCoordinator();
    const { store, calls, holdNextRead } = countingStore();
    const cached = cacheReads(store, { ...options(coordinator), reads: ['getUser'], writes: [] });
    const held = holdNextRead();
    const reading = cached.getUser('alice');
    await held;
    await coordinator.publish('accounts');
    await reading;
    await cached.getUser('alice');
    expect(calls.getUser).toBe(2);
  });

  it('forgets entries after their time to live', async () => {
    const { store, calls } = countingStore();
    const cached = cacheReads(store, { ...options(), reads: ['getUser'], writes: [], ttlMs: 20 });
    await cached.getUser('alice');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await cached.getUser('alice');
    expect(calls.getUser).toBe(2);
  });
});
