/**
 * Cache selection (DESIGN 3.3) as a pure function: the user's setting, else an organization's
 * default, else a network rule, else none; a down cache gives way to the next one up its chain,
 * then to main; the audience is the chosen cache and every cache above it.
 */
import { describe, expect, it } from 'vitest';
import { networkMatcher, type ContentCache } from '../../../main/caches/content-caches.js';
import { selectCache, type SelectionInput } from '../../../main/caches/select-cache.js';

const cache = (name: string, upstream?: string, networks: string[] = []): ContentCache => ({
  name,
  host: `https://${name}.example.com`,
  ...(upstream && { upstream }),
  networks,
  createdAt: 0,
});

// asia -> eu -> main; us -> main (serves 10.1.0.0/16); lan -> main (serves 127.0.0.0/8).
const CACHES = [
  cache('eu'),
  cache('asia', 'eu'),
  cache('us', undefined, ['10.1.0.0/16']),
  cache('lan', undefined, ['127.0.0.0/8']),
];

function input(overrides: Partial<SelectionInput> & { down?: string[] } = {}): SelectionInput {
  const { down = [], ...rest } = overrides;
  const byName = new Map(CACHES.map((c) => [c.name, c]));
  return {
    orgCaches: [],
    clientAddress: '192.0.2.7',
    caches: CACHES,
    matchesNetwork: (c, address) => networkMatcher(c.networks)(address),
    chainOf: (name) => {
      const chain: ContentCache[] = [];
      for (let c = byName.get(name); c; c = c.upstream ? byName.get(c.upstream) : undefined) chain.push(c);
      return chain;
    },
    isUp: (name) => !down.includes(name),
    ...rest,
  };
}

const chosen = (selection: ReturnType<typeof selectCache>) =>
  'none' in selection
    ? selection
    : { cache: selection.cache.name, audience: selection.audience, reason: selection.reason };

describe('selectCache: precedence', () => {
  it("takes the user's own setting over an organization default and a network rule", () => {
    expect(chosen(selectCache(input({ userCache: 'asia', orgCaches: ['us'], clientAddress: '10.1.2.3' })))).toEqual({
      cache: 'asia',
      audience: ['asia', 'eu'],
      reason: 'user',
    });
  });

  it("takes the first organization's default when the user has no setting", () => {
    expect(chosen(selectCache(input({ orgCaches: ['us', 'eu'], clientAddress: '127.0.0.1' })))).toEqual({
      cache: 'us',
      audience: ['us'],
      reason: 'organization',
    });
  });

  it('takes the cache whose networks contain the client address when nobody chose one', () => {
    expect(chosen(selectCache(input({ clientAddress: '10.1.200.4' })))).toEqual({
      cache: 'us',
      audience: ['us'],
      reason: 'network',
    });
    expect(chosen(selectCache(input({ clientAddress: '::ffff:127.0.0.1' })))).toEqual({
      cache: 'lan',
      audience: ['lan'],
      reason: 'network',
    });
  });

  it('answers none (no-preference) when no rule applies', () => {
    expect(selectCache(input({ clientAddress: '192.0.2.7' }))).toEqual({ none: 'no-preference' });
  });

  it('never matches a cache without networks by address', () => {
    expect(selectCache(input({ caches: [cache('eu')], clientAddress: '10.1.0.1' }))).toEqual({ none: 'no-preference' });
  });

  it('skips a setting that names a cache removed since, and lets the next rule decide', () => {
    expect(chosen(selectCache(input({ userCache: 'gone', orgCaches: ['eu'] })))).toEqual({
      cache: 'eu',
      audience: ['eu'],
      reason: 'organization',
    });
    expect(chosen(selectCache(input({ userCache: 'gone', clientAddress: '10.1.0.9' })))).toEqual({
      cache: 'us',
      audience: ['us'],
      reason: 'network',
    });
    expect(selectCache(input({ userCache: 'gone' }))).toEqual({ none: 'no-preference' });
  });
});

describe('selectCache: health', () => {
  it('falls back to the next cache up the chain when the chosen one is down', () => {
    expect(chosen(selectCache(input({ userCache: 'asia', down: ['asia'] })))).toEqual({
      cache: 'eu',
      audience: ['eu'],
      reason: 'user',
    });
    // The pages say which cache was asked for: the one that is down.
    expect(selectCache(input({ userCache: 'asia', down: ['asia'] }))).toMatchObject({ preferred: 'asia' });
  });

  it('answers none (cache-down) when every cache of the chain is down, so main serves', () => {
    expect(selectCache(input({ userCache: 'asia', down: ['asia', 'eu'] }))).toEqual({
      none: 'cache-down',
      preferred: 'asia',
    });
    expect(selectCache(input({ orgCaches: ['us'], down: ['us'] }))).toEqual({ none: 'cache-down', preferred: 'us' });
  });

  it('does not send pulls to a cache whose upstream is down (its misses would fail): main serves', () => {
    expect(selectCache(input({ userCache: 'asia', down: ['eu'] }))).toEqual({ none: 'cache-down', preferred: 'asia' });
  });

  it('chooses the nearest cache whose whole chain up to main is up', () => {
    const caches = [...CACHES, cache('sg', 'asia')];
    const byName = new Map(caches.map((c) => [c.name, c]));
    const chainOf = (name: string) => {
      const chain: ContentCache[] = [];
      for (let c = byName.get(name); c; c = c.upstream ? byName.get(c.upstream) : undefined) chain.push(c);
      return chain;
    };
    // sg -> asia -> eu -> main with asia down: sg cannot fetch its misses, eu can.
    expect(chosen(selectCache(input({ caches, chainOf, userCache: 'sg', down: ['asia'] })))).toEqual({
      cache: 'eu',
      audience: ['eu'],
      reason: 'user',
    });
  });

  it('does not move on to the organization default when the user setting is down', () => {
    expect(selectCache(input({ userCache: 'us', orgCaches: ['eu'], down: ['us'] }))).toEqual({
      none: 'cache-down',
      preferred: 'us',
    });
  });
});
