/**
 * Each replica's redirect counts written as its own series (main/caches/redirect-samples.ts), and the
 * dashboard's reader summing them (cache-usage-samples.ts), on a real LMDB store shared by two samplers
 * as two replicas share their database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUsageReader } from '../../../main/caches/cache-usage-samples.js';
import {
  REDIRECT_SAMPLE_REFRESH_MS,
  RedirectTally,
  startRedirectSampler,
  type RedirectSampler,
} from '../../../main/caches/redirect-samples.js';
import { createLmdbCacheStore } from '../../../main/metadata/lmdb/caches.js';
import type { CacheStore } from '../../../main/metadata/caches.js';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const silent = { warn: () => {} };
let temp: TempDir;
let root: RootDatabase;
let store: CacheStore;
let now: number;
const samplers: RedirectSampler[] = [];
beforeEach(async () => {
  temp = await createTempDir('outpost-redirect-samples-');
  root = openLmdb({ path: temp.path, mapSizeBytes: 2 ** 26 });
  store = createLmdbCacheStore(root);
  now = T0;
  await store.createCache('eu', {
    host: 'https://a.eu.example.com',
    networks: [],
    createdAt: T0,
    nodes: [],
  });
  for (const id of ['a', 'b'])
    await store.joinCacheNode('eu', { id, host: `https://${id}.eu.example.com`, joinedAt: T0 });
});
afterEach(async () => {
  await Promise.all(samplers.splice(0).map((s) => s.stop()));
  await root.close();
  await temp.remove();
});

/** A replica's tally and sampler (its timer an hour long: the test flushes). */
function replica(id: string) {
  const tally = new RedirectTally();
  const sampler = startRedirectSampler({
    store,
    tally,
    replica: id,
    now: () => now,
    logger: silent,
    intervalMs: 3_600_000,
  });
  samplers.push(sampler);
  return { tally, sampler };
}
const note = (tally: RedirectTally, key: string, times: number) => {
  for (let i = 0; i < times; i++) tally.note(key);
};

describe('the redirect sampler', () => {
  it("writes this replica's count of each node it redirected to, and a count again only when it changed", async () => {
    const { tally, sampler } = replica('r1');
    await sampler.flush();
    expect(await store.listRedirectSamples('eu', 0)).toEqual(new Map());
    note(tally, 'eu/a', 3);
    await sampler.flush();
    now += MINUTE;
    note(tally, 'eu/b', 1);
    await sampler.flush();
    expect(await store.listRedirectSamples('eu', 0)).toEqual(
      new Map([
        ['eu/a', [{ at: T0, replica: 'r1', redirects: 3 }]],
        ['eu/b', [{ at: T0 + MINUTE, replica: 'r1', redirects: 1 }]],
      ]),
    );
  });

  it('writes an unchanged count again after the refresh time, so the day shown always has a start', async () => {
    const { tally, sampler } = replica('r1');
    note(tally, 'eu/a', 2);
    await sampler.flush();
    now += REDIRECT_SAMPLE_REFRESH_MS - MINUTE;
    await sampler.flush();
    now += MINUTE;
    await sampler.flush();
    const times = (await store.listRedirectSamples('eu', 0)).get('eu/a')?.map((s) => s.at);
    expect(times).toEqual([T0, T0 + REDIRECT_SAMPLE_REFRESH_MS]);
  });

  it('writes the last counts when stopped', async () => {
    const { tally, sampler } = replica('r1');
    note(tally, 'eu/a', 4);
    await sampler.stop();
    expect((await store.listRedirectSamples('eu', 0)).get('eu/a')).toEqual([{ at: T0, replica: 'r1', redirects: 4 }]);
  });
});

describe("the dashboard's redirects with two replicas", () => {
  it('are exactly the redirects both replicas sent, their samples alternating, one of them restarted', async () => {
    const read = createUsageReader({ store, now: () => now });
    const cache = async () => (await store.listCaches()).find((c) => c.name === 'eu')!;
    const one = replica('r1');
    let two = replica('r2');
    const sent = { 'eu/a': 0, 'eu/b': 0 };
    const redirect = (tally: RedirectTally, key: 'eu/a' | 'eu/b', times: number) => {
      note(tally, key, times);
      sent[key] += times;
    };
    for (let minute = 0; minute < 6; minute++) {
      redirect(one.tally, 'eu/a', 5 + minute);
      redirect(two.tally, 'eu/a', 2);
      if (minute % 2 === 0) redirect(two.tally, 'eu/b', 1);
      if (minute === 3) {
        // r2 stops (its last counts written) and starts again: a new id, counting from 0.
        await two.sampler.stop();
        two = replica('r2-again');
      }
      await one.sampler.flush();
      await two.sampler.flush();
      now += MINUTE;
    }
    const usage = await read(await cache());
    expect(usage.nodes.map((n) => [n.id, n.lastHour.redirects])).toEqual([
      ['a', sent['eu/a']],
      ['b', sent['eu/b']],
    ]);
    expect(usage.lastHour.redirects).toBe(sent['eu/a'] + sent['eu/b']);
    expect(usage.lastDay.redirects).toBe(sent['eu/a'] + sent['eu/b']);
  });
});
