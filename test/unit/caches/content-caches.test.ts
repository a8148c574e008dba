/**
 * The content caches main knows, on a real LMDB in a temp dir: what a name, host and network
 * must look like, address matching (IPv4, IPv6, IPv4 mapped into IPv6), chains that always
 * end at main, and removal refused while another cache pulls through the one removed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import {
  createContentCaches,
  networkMatcher,
  parseCidr,
  type ContentCaches,
} from '../../../main/caches/content-caches.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let root: RootDatabase;
let caches: ContentCaches;
let clock = 1_000;

beforeEach(async () => {
  temp = await createTempDir('outpost-caches-');
  root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  caches = createContentCaches(createLmdbCacheStore(root), () => clock);
});
afterEach(async () => {
  await root.close();
  await temp.remove();
});

const add = (name: string, extra: Record<string, unknown> = {}) =>
  caches.create({ name, host: `https://${name}.example.com`, ...extra });
const invalid = (pattern: RegExp) =>
  expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(pattern) });

describe('createContentCaches: names and hosts', () => {
  it('stores a cache: its host without trailing slash, upstream, region, networks and creation time', async () => {
    await add('eu');
    const created = await caches.create({
      name: 'asia',
      host: 'https://sg.example.com:8443/',
      upstream: 'eu',
      region: 'ap-southeast-1',
      networks: ['10.0.0.0/8'],
    });
    expect(created).toEqual({
      name: 'asia',
      host: 'https://sg.example.com:8443',
      upstream: 'eu',
      region: 'ap-southeast-1',
      networks: ['10.0.0.0/8'],
      createdAt: 1_000,
    });
    expect(await caches.get('asia')).toEqual(created);
    expect((await caches.list()).map((c) => c.name)).toEqual(['asia', 'eu']);
  });

  it.each(['EU', '-eu', 'eu_west', 'a'.repeat(64), '', 'eu/west'])('refuses the name %j', async (name) => {
    await expect(add(name)).rejects.toEqual(invalid(/lowercase letters, digits and dashes/));
  });

  it.each(['ftp://eu.example.com', 'https://eu.example.com/?x=1', 'https://user@eu.example.com', 'eu.example.com', 42])(
    'refuses the host %j',
    async (host) => {
      await expect(caches.create({ name: 'eu', host })).rejects.toEqual(invalid(/host must be the http\(s\) URL/));
    },
  );

  it('answers ALREADY_EXISTS for a name taken, and keeps the first', async () => {
    await add('eu');
    await expect(caches.create({ name: 'eu', host: 'https://other.example.com' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect((await caches.require('eu')).host).toBe('https://eu.example.com');
  });

  it('updates only the fields given and keeps the creation time', async () => {
    await add('eu', { region: 'eu-west-1', networks: ['10.0.0.0/8'] });
    clock = 5_000;
    const updated = await caches.update('eu', { host: 'https://eu2.example.com' });
    expect(updated).toEqual({
      name: 'eu',
      host: 'https://eu2.example.com',
      region: 'eu-west-1',
      networks: ['10.0.0.0/8'],
      createdAt: 1_000,
    });
  });

  it('answers NOT_FOUND for updating or removing a cache that does not exist', async () => {
    await expect(caches.update('nope', { region: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(caches.remove('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('createContentCaches: networks', () => {
  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8x', 'ten/8', '2001:db8::/129', '10.0.0.0/', ''])(
    'refuses the network %j',
    async (network) => {
      await expect(add('eu', { networks: [network] })).rejects.toEqual(invalid(/CIDR/));
    },
  );

  it('refuses networks that are not a list of strings', async () => {
    await expect(add('eu', { networks: '10.0.0.0/8' })).rejects.toEqual(invalid(/list of CIDR strings/));
    await expect(add('eu', { networks: [10] })).rejects.toEqual(invalid(/list of CIDR strings/));
  });

  it('reads a bare address as a single host', () => {
    expect(parseCidr('192.0.2.1')).toEqual({ address: '192.0.2.1', prefix: 32, family: 'ipv4' });
    expect(parseCidr('2001:db8::1')).toEqual({ address: '2001:db8::1', prefix: 128, family: 'ipv6' });
  });

  it('matches IPv4 clients against IPv4 networks', () => {
    const matches = networkMatcher(['10.1.0.0/16', '192.0.2.7']);
    expect(['10.1.0.1', '10.1.255.254', '192.0.2.7'].map(matches)).toEqual([true, true, true]);
    expect(['10.2.0.1', '192.0.2.8', 'unknown', ''].map(matches)).toEqual([false, false, false, false]);
  });

  it('matches IPv6 clients against IPv6 networks', () => {
    const matches = networkMatcher(['2001:db8:1::/48']);
    expect(matches('2001:db8:1::42')).toBe(true);
    expect(matches('2001:db8:1:ffff::1')).toBe(true);
    expect(matches('2001:db8:2::1')).toBe(false);
    expect(matches('10.0.0.1')).toBe(false);
  });

  it('matches an IPv4 client seen on a dual-stack socket (::ffff:a.b.c.d) against IPv4 networks', () => {
    const matches = networkMatcher(['127.0.0.0/8']);
    expect(matches('::ffff:127.0.0.1')).toBe(true);
    expect(matches('::ffff:10.0.0.1')).toBe(false);
  });
});

describe('createContentCaches: chains', () => {
  it('gives the chain from a cache up to main, nearest first', async () => {
    await add('eu');
    await add('asia', { upstream: 'eu' });
    await add('sg', { upstream: 'asia' });
    expect((await caches.chainOf('sg')).map((c) => c.name)).toEqual(['sg', 'asia', 'eu']);
    expect((await caches.chainOf('eu')).map((c) => c.name)).toEqual(['eu']);
    expect(await caches.chainOf('nope')).toEqual([]);
  });

  it('refuses an upstream that is not a registered cache', async () => {
    await expect(add('asia', { upstream: 'eu' })).rejects.toEqual(
      invalid(/upstream "eu" is not a known content cache/),
    );
  });

  it('refuses a cache as its own upstream, and a change that would close a cycle', async () => {
    await add('eu');
    await add('asia', { upstream: 'eu' });
    await expect(caches.update('eu', { upstream: 'eu' })).rejects.toEqual(invalid(/cycle/));
    await expect(caches.update('eu', { upstream: 'asia' })).rejects.toEqual(invalid(/would make a cycle through "eu"/));
    expect((await caches.chainOf('asia')).map((c) => c.name)).toEqual(['asia', 'eu']);
  });

  it('treats an empty or null upstream as main', async () => {
    await add('eu');
    await add('asia', { upstream: 'eu' });
    expect((await caches.update('asia', { upstream: '' })).upstream).toBeUndefined();
    await caches.update('asia', { upstream: 'eu' });
    expect((await caches.update('asia', { upstream: null })).upstream).toBeUndefined();
  });

  it('refuses to remove a cache another one pulls through, until that one is changed', async () => {
    await add('eu');
    await add('asia', { upstream: 'eu' });
    await expect(caches.remove('eu')).rejects.toEqual(invalid(/"eu" is the upstream of asia/));
    await caches.update('asia', { upstream: '' });
    await caches.remove('eu');
    expect(await caches.get('eu')).toBeUndefined();
  });
});
