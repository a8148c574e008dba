/**
 * @module Main's public keys as the edge sees them: fetched from the JWKS URL (or read from a
 * file for air-gapped sites), kept in LMDB so a restart while main is down still verifies, and
 * refreshed when a token names a key id we do not know (at most once per `minRefreshMs`).
 */
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../../src/log/logger.js';
import type { CacheIndex } from './cache-index.js';

export interface KeySourceOptions {
  index: CacheIndex;
  url?: string;
  file?: string;
  dispatcher: Dispatcher;
  logger: Logger;
  now?: () => number;
  /** Unknown-kid refreshes happen at most this often. Default 30s. */
  minRefreshMs?: number;
}

export interface KeyFreshness {
  source: 'url' | 'file';
  keys: number;
  /** When the keys were last fetched successfully (ms since epoch), if ever. */
  fetchedAt?: number;
  lastError?: string;
}

function isJwks(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as JSONWebKeySet).keys);
}

export class KeySource {
  private localSet: ReturnType<typeof createLocalJWKSet> | undefined;
  private keyCount = 0;
  private fetchedAt: number | undefined;
  private lastError: string | undefined;
  private lastAttempt = -Infinity;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: KeySourceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Loads cached keys, then tries to fetch fresh ones (a failure is tolerated when a cache exists). */
  async start(): Promise<void> {
    const cached = this.options.index.getJwks();
    if (cached) this.use({ keys: cached.keys as JSONWebKeySet['keys'] }, cached.fetchedAt);
    await this.refresh();
    if (!this.localSet) throw new Error(`no signing keys: ${this.lastError ?? 'JWKS unavailable'} and none cached`);
  }

  /** For `jwtVerify`: looks the key up, refreshing once on an unknown key id. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      if (!this.localSet) throw new errors.JWKSNoMatchingKey();
      return await this.localSet(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || this.now() - this.lastAttempt < (this.options.minRefreshMs ?? 30_000)) throw err;
      await this.refresh();
      if (!this.localSet) throw err;
      return this.localSet(header, token);
    }
  };

  freshness(): KeyFreshness {
    return {
      source: this.options.file ? 'file' : 'url',
      keys: this.keyCount,
      ...(this.fetchedAt !== undefined && { fetchedAt: this.fetchedAt }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  /** Fetches the keys now (concurrent callers share one fetch). */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttempt = this.now();
    try {
      const jwks = this.options.file ? await this.readFile(this.options.file) : await this.fetch(this.options.url!);
      const fetchedAt = this.now();
      this.use(jwks, fetchedAt);
      this.lastError = undefined;
      await this.options.index.putJwks({ keys: jwks.keys, fetchedAt });
    } catch (err) {
      this.lastError = (err as Error).message;
      this.options.logger.warn('could not refresh signing keys', { error: err });
    }
  }

  private use(jwks: JSONWebKeySet, fetchedAt: number): void {
    this.localSet = createLocalJWKSet(jwks);
    this.keyCount = jwks.keys.length;
    this.fetchedAt = fetchedAt;
  }

  private async readFile(file: string): Promise<JSONWebKeySet> {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isJwks(parsed)) throw new Error(`${file} is not a JWKS document`);
    return parsed;
  }

  private async fetch(url: string): Promise<JSONWebKeySet> {
    const res = await request(url, { dispatcher: this.options.dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`JWKS fetch from ${url} answered ${res.statusCode}`);
    }
    const parsed: unknown = await res.body.json();
    if (!isJwks(parsed)) throw new Error(`${url} did not return a JWKS document`);
    return parsed;
  }
}
