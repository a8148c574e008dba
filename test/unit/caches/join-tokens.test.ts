/**
 * Join tokens on a real LMDB: valid until they expire (reusable, not single use), stored only
 * as a hash, anything else refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { createJoinTokens, JOIN_TOKEN_PREFIX, type JoinTokens } from '../../../main/caches/join-tokens.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const HOUR = 3_600_000;
let temp: TempDir;
let root: RootDatabase;
let tokens: JoinTokens;
let clock: number;

beforeEach(async () => {
  temp = await createTempDir('outpost-join-tokens-');
  root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  clock = 1_000_000;
  tokens = createJoinTokens(createLmdbCacheStore(root), () => clock);
});
afterEach(async () => {
  await root.close();
  await temp.remove();
});

describe('createJoinTokens', () => {
  it('creates a random prefixed token that expires after its lifetime', async () => {
    const created = await tokens.create(24 * HOUR);
    expect(created.token.startsWith(JOIN_TOKEN_PREFIX)).toBe(true);
    expect(created.token.length).toBeGreaterThan(JOIN_TOKEN_PREFIX.length + 40);
    expect(created.expiresAt).toBe(clock + 24 * HOUR);
    expect((await tokens.create(HOUR)).token).not.toBe(created.token);
  });

  it('accepts a token any number of times until it expires, and refuses it from then on', async () => {
    const { token } = await tokens.create(HOUR);
    expect([await tokens.isValid(token), await tokens.isValid(token)]).toEqual([true, true]);
    clock += HOUR - 1;
    expect(await tokens.isValid(token)).toBe(true);
    clock += 1;
    expect(await tokens.isValid(token)).toBe(false);
  });

  it('refuses tokens it never created, altered ones, and values that are not strings', async () => {
    const { token } = await tokens.create(HOUR);
    expect(await tokens.isValid(`${token}x`)).toBe(false);
    expect(await tokens.isValid(token.slice(0, -1))).toBe(false);
    expect(await tokens.isValid(`${JOIN_TOKEN_PREFIX}made-up`)).toBe(false);
    expect(await tokens.isValid(token.slice(JOIN_TOKEN_PREFIX.length))).toBe(false);
    for (const value of [undefined, null, 42, {}, '']) expect(await tokens.isValid(value)).toBe(false);
  });

  it('stores only a hash of the token, with its expiry', async () => {
    const { token, expiresAt } = await tokens.create(HOUR);
    const stored = [...root.openDB({ name: 'cacheJoinTokens', encoding: 'msgpack' }).getRange()];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.value).toEqual({ createdAt: clock, expiresAt });
    expect(JSON.stringify(stored)).not.toContain(token.slice(JOIN_TOKEN_PREFIX.length));
  });

  it('drops expired tokens when a new one is created', async () => {
    await tokens.create(HOUR);
    clock += 2 * HOUR;
    await tokens.create(HOUR);
    expect([...root.openDB({ name: 'cacheJoinTokens', encoding: 'msgpack' }).getRange()]).toHaveLength(1);
  });

  it.each([0, -1, Number.NaN])('refuses the lifetime %s', async (ttl) => {
    await expect(tokens.create(ttl)).rejects.toThrow(/positive lifetime/);
  });
});
