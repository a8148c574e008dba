/**
 * The `ThrottleStore` contract (main/metadata/throttle.ts) as one suite every backend runs:
 * `describeThrottleStore('memory', factory)`. Only the interface is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ThrottleStore } from '../../main/metadata/throttle.js';

export interface ThrottleStoreFixture {
  store: ThrottleStore;
  /** A store on the same data (another connection, another replica); the same store where there is one. */
  openAgain(): Promise<ThrottleStore>;
  /** Releases whatever the factory created (temp dirs, connections). */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);
const WINDOW = 60_000;

export function describeThrottleStore(name: string, factory: () => Promise<ThrottleStoreFixture>): void {
  describe(`${name} (ThrottleStore contract)`, () => {
    let fixture: ThrottleStoreFixture;
    let store: ThrottleStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('counts increments per key, the window starting at the first', async () => {
      await store.increment(['a', 'b'], T0, WINDOW);
      await store.increment(['a'], T0 + 10, WINDOW);
      expect(await store.get(['a', 'b', 'c'], T0 + 20)).toEqual([
        { count: 2, expiresAt: T0 + WINDOW },
        { count: 1, expiresAt: T0 + WINDOW },
        undefined,
      ]);
    });

    it('lets a counter lapse at its expiry, and starts it again at one after', async () => {
      await store.increment(['a'], T0, WINDOW);
      await store.increment(['a'], T0 + 1, WINDOW);
      expect(await store.get(['a'], T0 + WINDOW - 1)).toEqual([{ count: 2, expiresAt: T0 + WINDOW }]);
      expect(await store.get(['a'], T0 + WINDOW)).toEqual([undefined]);
      await store.increment(['a'], T0 + WINDOW, WINDOW);
      expect(await store.get(['a'], T0 + WINDOW)).toEqual([{ count: 1, expiresAt: T0 + 2 * WINDOW }]);
    });

    it('resets the keys given and keeps the others', async () => {
      await store.increment(['a', 'b', 'c'], T0, WINDOW);
      await store.reset(['a', 'c', 'never']);
      expect(await store.get(['a', 'b', 'c'], T0)).toEqual([
        undefined,
        { count: 1, expiresAt: T0 + WINDOW },
        undefined,
      ]);
    });

    it('takes keys of any characters, and long ones, as distinct counters', async () => {
      const keys = ['p:10.0.0.1\0alice', 'p:10.0.0.1\0alice2', `a:${'é'.repeat(128)}`, 'i:::ffff:10.0.0.1'];
      await store.increment(keys, T0, WINDOW);
      await store.increment([keys[0]!], T0, WINDOW);
      expect((await store.get(keys, T0)).map((c) => c?.count)).toEqual([2, 1, 1, 1]);
    });

    it('counts every increment sent at once from two openings', async () => {
      const other = await fixture.openAgain();
      const rounds = 20;
      await Promise.all(
        Array.from({ length: rounds }, (_, i) =>
          (i % 2 ? other : store).increment(['shared', `own-${i % 2}`], T0, WINDOW),
        ),
      );
      expect((await store.get(['shared', 'own-0', 'own-1'], T0)).map((c) => c?.count)).toEqual([
        rounds,
        rounds / 2,
        rounds / 2,
      ]);
    });
  });
}
