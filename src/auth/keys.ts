/**
 * @module Signing keys: generated on first start, kept in a `KeyStore`, rotated.
 *
 * The newest key signs. A rotated key stays published in the JWKS until every token it signed
 * has expired (`retiredAt + maxTokenLifetimeMs`), so edges keep verifying during a rotation.
 * The ring re-reads its store when the store's version changes, so a rotation by another
 * process (`outpost main keys rotate`, another replica) is picked up while main runs.
 * Where the records live is the store's business (files in the data directory, or rows in
 * PostgreSQL with the private keys encrypted: main/metadata/lmdb/keys.ts, postgres/keys.ts).
 */
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type CryptoKey,
  type JWK,
} from 'jose';

export const SIGNING_ALGORITHM = 'EdDSA';

/** A key's public facts, newest last in a store. */
export interface KeyEntry {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  createdAt: number;
  /** When a newer key replaced it (it still signs for `prePublishMs`, then only verifies). */
  retiredAt?: number;
}

/**
 * Where the key ring's records live (main/metadata/keys.ts documents the family). Methods
 * reject with the backend's failure and then changed nothing.
 */
export interface KeyStore {
  /** Changes whenever the records do (cheap: checked on every token issued); undefined when there are none. */
  version(): Promise<string | undefined>;
  /** Every key, oldest first. */
  entries(): Promise<KeyEntry[]>;
  /** The PKCS#8 PEM of a key listed by `entries`. */
  privateKeyPem(kid: string): Promise<string>;
  /**
   * Adds `key` as the newest and retires every key not yet retired at `key.createdAt`, in one
   * step, only when the newest key is still `after` (undefined: only when there is none).
   * Returns false, changing nothing, when another rotation got there first: one rotation wins.
   */
  add(key: KeyEntry & { privateKeyPem: string }, after: string | undefined): Promise<boolean>;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

export interface KeyRingOptions {
  store: KeyStore;
  now?: () => number;
  /** The longest lifetime of any token signed with these keys; bounds how long retired keys are published. */
  maxTokenLifetimeMs: number;
  /** How long a new key is published before it signs (see the module comment). Default 0: at once. */
  prePublishMs?: number;
}

interface LoadedKey extends KeyEntry {
  privateKey: CryptoKey;
  jwk: PublicJwk;
}

export class KeyRing {
  private keys: LoadedKey[] = [];
  /** The store's version last loaded. */
  private loadedVersion: string | undefined;

  private constructor(private readonly options: Required<KeyRingOptions>) {}

  /** Opens the keyring of `store`, creating the first key when there is none. */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing({ now: Date.now, prePublishMs: 0, ...options });
    await ring.reload();
    if (ring.keys.length === 0) await ring.rotate();
    return ring;
  }

  /** The key new tokens are signed with: the newest one published for at least `prePublishMs`. */
  get signingKey(): SigningKey {
    const publishedBefore = this.options.now() - this.options.prePublishMs;
    const active = this.keys.findLast((k) => k.createdAt <= publishedBefore) ?? this.keys[0]!;
    return { kid: active.kid, privateKey: active.privateKey };
  }

  /** The newest key, which signs once it has been published for `prePublishMs`. */
  get newestKid(): string {
    return this.keys[this.keys.length - 1]!.kid;
  }

  /** Public keys still needed to verify unexpired tokens, as a JWKS document. */
  jwks(): { keys: PublicJwk[] } {
    const now = this.options.now();
    // A retired key may still sign for prePublishMs after retiredAt (until its successor is old
    // enough), and its last token lives maxTokenLifetimeMs more.
    const publishedFor = this.options.prePublishMs + this.options.maxTokenLifetimeMs;
    return {
      keys: this.keys.filter((k) => k.retiredAt === undefined || k.retiredAt + publishedFor > now).map((k) => k.jwk),
    };
  }

  /**
   * Generates a new key, published at once and signing after `prePublishMs`; the current one is
   * retired (it signs until then, and stays published until its tokens have expired). When
   * another process rotated at the same moment, its key wins and is returned: two rotations at
   * once make one new key, not two.
   */
  async rotate(): Promise<string> {
    // Forced: a key written by another process a moment ago must be the one this one follows.
    await this.load(true);
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const newest = this.keys[this.keys.length - 1]?.kid;
    const added = await this.options.store.add(
      { kid, createdAt: this.options.now(), privateKeyPem: await exportPKCS8(privateKey) },
      newest,
    );
    await this.load(true);
    return added ? kid : this.newestKid;
  }

  /** Re-reads the store when its version changed (another process rotated). */
  reload(): Promise<void> {
    return this.load(false);
  }

  private async load(force: boolean): Promise<void> {
    const { store } = this.options;
    const version = await store.version();
    if (version === undefined) return;
    if (!force && version === this.loadedVersion && this.keys.length > 0) return;
    const entries = await store.entries();
    const loaded: LoadedKey[] = [];
    for (const entry of entries) {
      const known = this.keys.find((k) => k.kid === entry.kid);
      if (known) {
        loaded.push({ ...known, ...entry });
        continue;
      }
      const privateKey = await importPKCS8(await store.privateKeyPem(entry.kid), SIGNING_ALGORITHM, {
        extractable: true,
      });
      const { d: _private, ...publicJwk } = await exportJWK(privateKey);
      loaded.push({ ...entry, privateKey, jwk: { ...publicJwk, kid: entry.kid, alg: SIGNING_ALGORITHM, use: 'sig' } });
    }
    this.keys = loaded;
    this.loadedVersion = version;
  }
}
