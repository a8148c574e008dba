/**
 * @module Signing keys: generated on first start, kept in the data directory, rotated.
 *
 *	<keys dir>
 *	├── keyring.json      [{ kid, createdAt, retiredAt? }], newest last (replaced atomically)
 *	└── <kid>.pem         PKCS#8 Ed25519 private key, mode 0600
 *
 * The newest key signs. A rotated key stays published in the JWKS until every token it signed
 * has expired (`retiredAt + maxTokenLifetimeMs`), so edges keep verifying during a rotation.
 * The keyring file is re-read when it changes, so `outpost main keys rotate` works while main runs.
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

interface KeyEntry {
  kid: string;
  createdAt: number;
  retiredAt?: number;
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
  dir: string;
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
  /** Modification time, inode and size of the keyring file last loaded. */
  private loadedStamp = '';

  private constructor(private readonly options: Required<KeyRingOptions>) {}

  /** Opens the keyring in `dir`, creating the first key when there is none. */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing({ now: Date.now, prePublishMs: 0, ...options });
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    await ring.reload();
    if (ring.keys.length === 0) await ring.rotate();
    return ring;
  }

  private get file(): string {
    return join(this.options.dir, 'keyring.json');
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
   * retired (it signs until then, and stays published until its tokens have expired).
   */
  async rotate(): Promise<string> {
    // Forced for the same reason as below: a key written by another process a moment ago
    // must be carried over, not overwritten.
    await this.load(true);
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const pemPath = join(this.options.dir, `${kid}.pem`);
    await writeFile(pemPath, await exportPKCS8(privateKey), { mode: 0o600 });
    await chmod(pemPath, 0o600);
    const now = this.options.now();
    const entries: KeyEntry[] = this.keys.map(({ kid: k, createdAt, retiredAt }) => ({
      kid: k,
      createdAt,
      retiredAt: retiredAt ?? now,
    }));
    entries.push({ kid, createdAt: now });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(entries, null, 2), { mode: 0o600 });
    await rename(temp, this.file);
    // Forced: two writes within one clock tick of the filesystem (a few ms) share an mtime, and
    // the new key would then go unseen by this very keyring.
    await this.load(true);
    return kid;
  }

  /** Re-reads the keyring when the file changed on disk (another process rotated). */
  reload(): Promise<void> {
    return this.load(false);
  }

  private async load(force: boolean): Promise<void> {
    let stamp: string;
    try {
      const st = await stat(this.file);
      // The file is replaced by rename, so a rotation also gives it a new inode: together with
      // the size this catches a rotation whose mtime equals the last one (coarse timestamps).
      stamp = `${st.mtimeMs}:${st.ino}:${st.size}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (!force && stamp === this.loadedStamp && this.keys.length > 0) return;
    const entries = JSON.parse(await readFile(this.file, 'utf8')) as KeyEntry[];
    const loaded: LoadedKey[] = [];
    for (const entry of entries) {
      const known = this.keys.find((k) => k.kid === entry.kid);
      if (known) {
        loaded.push({ ...known, ...entry });
        continue;
      }
      const pem = await readFile(join(this.options.dir, `${entry.kid}.pem`), 'utf8');
      const privateKey = await importPKCS8(pem, SIGNING_ALGORITHM, { extractable: true });
      const { d: _private, ...publicJwk } = await exportJWK(privateKey);
      loaded.push({ ...entry, privateKey, jwk: { ...publicJwk, kid: entry.kid, alg: SIGNING_ALGORITHM, use: 'sig' } });
    }
    this.keys = loaded;
    this.loadedStamp = stamp;
  }
}
