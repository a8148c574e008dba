/**
 * The `KeyStore` contract (main/metadata/keys.ts) as one suite every backend runs:
 * `describeKeyStore('files', factory)`. Only the interface is used, and the `KeyRing` over it
 * (what main runs): two rotations at once make one new key, and other rings converge on it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { KeyRing, type KeyEntry, type KeyStore } from '../../src/auth/keys.js';

export interface KeyStoreFixture {
  store: KeyStore;
  /** A second store on the same data (another process, another replica). */
  openAgain(): Promise<KeyStore>;
  /** Releases whatever the factory created (temp dirs, connections). */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);

async function newKey(createdAt: number): Promise<KeyEntry & { privateKeyPem: string }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return {
    kid: await calculateJwkThumbprint(await exportJWK(publicKey)),
    createdAt,
    privateKeyPem: await exportPKCS8(privateKey),
  };
}

export function describeKeyStore(name: string, factory: () => Promise<KeyStoreFixture>): void {
  describe(`${name} (KeyStore contract)`, () => {
    let fixture: KeyStoreFixture;
    let store: KeyStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('starts empty: no version, no entries', async () => {
      expect(await store.version()).toBeUndefined();
      expect(await store.entries()).toEqual([]);
    });

    it('adds a first key after none, and gives back its entry and private key', async () => {
      const first = await newKey(T0);
      expect(await store.add(first, undefined)).toBe(true);
      expect(await store.entries()).toEqual([{ kid: first.kid, createdAt: T0 }]);
      expect(await store.privateKeyPem(first.kid)).toBe(first.privateKeyPem);
      expect(await store.version()).toEqual(expect.any(String));
    });

    it('adds a key as the newest, retires the others at its creation, and changes the version', async () => {
      const [k1, k2, k3] = [await newKey(T0), await newKey(T0 + 10), await newKey(T0 + 20)];
      await store.add(k1, undefined);
      await store.add(k2, k1.kid);
      const before = await store.version();
      expect(await store.add(k3, k2.kid)).toBe(true);
      expect(await store.version()).not.toBe(before);
      expect(await store.entries()).toEqual([
        { kid: k1.kid, createdAt: T0, retiredAt: T0 + 10 },
        { kid: k2.kid, createdAt: T0 + 10, retiredAt: T0 + 20 },
        { kid: k3.kid, createdAt: T0 + 20 },
      ]);
      expect(await store.privateKeyPem(k2.kid)).toBe(k2.privateKeyPem);
    });

    it('refuses a key that does not follow the current newest, changing nothing', async () => {
      const [k1, k2, late] = [await newKey(T0), await newKey(T0 + 10), await newKey(T0 + 20)];
      await store.add(k1, undefined);
      await store.add(k2, k1.kid);
      const before = { version: await store.version(), entries: await store.entries() };
      expect(await store.add(late, k1.kid)).toBe(false);
      expect(await store.add(late, undefined)).toBe(false);
      expect({ version: await store.version(), entries: await store.entries() }).toEqual(before);
    });

    it('accepts exactly one of two keys added at once after the same newest, from two openings', async () => {
      const k1 = await newKey(T0);
      await store.add(k1, undefined);
      const other = await fixture.openAgain();
      const [a, b] = [await newKey(T0 + 1), await newKey(T0 + 1)];
      const results = await Promise.all([store.add(a, k1.kid), other.add(b, k1.kid)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? a : b;
      expect((await other.entries()).map((e) => e.kid)).toEqual([k1.kid, winner.kid]);
    });

    it('lets two rings rotate at once into one new key, which every ring signs with after a reload', async () => {
      const options = { now: () => T0, maxTokenLifetimeMs: 60_000 };
      const ring1 = await KeyRing.open({ store, ...options });
      // Ring 2's rotation is held between reading the ring and adding its key, while ring 1
      // rotates: the interleaving of two replicas rotating at the same moment, every time.
      const store2 = await fixture.openAgain();
      let reachedAdd = () => {};
      const atAdd = new Promise<void>((resolve) => {
        reachedAdd = resolve;
      });
      let proceed = () => {};
      const go = new Promise<void>((resolve) => {
        proceed = resolve;
      });
      const held: KeyStore = {
        version: () => store2.version(),
        entries: () => store2.entries(),
        privateKeyPem: (kid) => store2.privateKeyPem(kid),
        add: async (key, after) => {
          reachedAdd();
          await go;
          return store2.add(key, after);
        },
      };
      const ring2 = await KeyRing.open({ store: held, ...options });
      const ring3 = await KeyRing.open({ store: await fixture.openAgain(), ...options });
      const first = ring1.signingKey.kid;
      expect(ring2.signingKey.kid).toBe(first);
      const second = ring2.rotate();
      await atAdd;
      const winner = await ring1.rotate();
      proceed();
      expect(await second).toBe(winner);
      expect(winner).not.toBe(first);
      expect((await store.entries()).map((e) => e.kid)).toEqual([first, winner]);
      await ring3.reload();
      for (const ring of [ring1, ring2, ring3]) {
        expect(ring.signingKey.kid).toBe(winner);
        expect(ring.jwks().keys.map((k) => k.kid)).toEqual([first, winner]);
      }
    });
  });
}
