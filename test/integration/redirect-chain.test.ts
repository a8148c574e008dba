/**
 * The whole redirect through a chain asia -> eu -> main (DESIGN 3.3): main sends a user whose
 * cache is asia there with a token naming asia and eu; following the redirect fills both edges
 * on the first pull, and later pulls are served by asia alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, readMetric, startTestEdge, type TestEdge } from '../helpers/edge.js';
import {
  bearer,
  createUsers,
  expectRedirect,
  getBlob,
  mainMetric,
  publishImage,
  pullToken,
  setCache,
  tokenIn,
  type PublishedImage,
} from '../helpers/redirect.js';

let main: TestMain;
let eu: TestEdge;
let asia: TestEdge;
let image: PublishedImage;
let auth: Record<string, string>;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  asia = await startTestEdge({ name: 'asia', upstream: eu.url, issuer: main.url });
  await main.service.caches.caches.create({ name: 'eu', host: eu.url });
  await main.service.caches.caches.create({ name: 'asia', host: asia.url, upstream: 'eu' });
  auth = await createUsers(main, ['alice']);
  await setCache(main, 'alice', 'asia');
  image = await publishImage(main, [64 * 1024, 300 * 1024, 2 * 1024 * 1024]);
});
afterAll(async () => {
  await asia?.stop();
  await eu?.stop();
  await main?.stop();
});

const requests = async (edge: TestEdge, result: string) =>
  readMetric(edge.url, `outpost_edge_blob_requests_total{result="${result}"}`);

/** A pull of every layer as docker does it: GET on main, follow the 307. */
async function pullLayers(authorization: string): Promise<string[]> {
  const locations: string[] = [];
  for (const layer of image.layers) {
    const location = await expectRedirect(await getBlob(main, layer.digest, authorization), asia.url, layer.digest);
    const { bytes, error } = await readBody(await fetch(location));
    expect(error).toBeUndefined();
    expect(bytes.equals(layer.bytes)).toBe(true);
    locations.push(location);
  }
  return locations;
}

describe('a user whose cache is asia (asia -> eu -> main)', () => {
  it('is redirected to asia with a token whose audience is asia then eu', async () => {
    const location = await expectRedirect(
      await getBlob(main, image.layers[0]!.digest, auth.alice),
      asia.url,
      image.layers[0]!.digest,
    );
    expect(decodeJwt(tokenIn(location)).aud).toEqual(['asia', 'eu']);
  });

  it('fills both edges on the first pull, each blob fetched from main once', async () => {
    const mainServed = await mainMetric(main, 'outpost_main_cache_fetches_total{kind="miss"}');
    const [euMisses, asiaMisses] = [await requests(eu, 'miss'), await requests(asia, 'miss')];
    await pullLayers(bearer(await pullToken(main, auth.alice!)));
    for (const layer of image.layers) {
      expect(asia.service.cache.has(layer.digest as never)).toBe(true);
      expect(eu.service.cache.has(layer.digest as never)).toBe(true);
    }
    const n = image.layers.length;
    expect(await requests(asia, 'miss')).toBe(asiaMisses + n);
    expect(await requests(eu, 'miss')).toBe(euMisses + n);
    // eu fetched each blob from main with the same redirect token, which main served itself.
    expect(await mainMetric(main, 'outpost_main_cache_fetches_total{kind="miss"}')).toBe(mainServed + n);
  });

  it('is served by asia alone on the second pull', async () => {
    const euTotal = async () => (await requests(eu, 'hit')) + (await requests(eu, 'miss'));
    const [euBefore, asiaHits] = [await euTotal(), await requests(asia, 'hit')];
    const mainServed = await mainMetric(main, 'outpost_main_cache_fetches_total{kind="miss"}');
    await pullLayers(auth.alice!);
    expect(await requests(asia, 'hit')).toBe(asiaHits + image.layers.length);
    expect(await euTotal()).toBe(euBefore);
    expect(await mainMetric(main, 'outpost_main_cache_fetches_total{kind="miss"}')).toBe(mainServed);
  });

  it('counts every redirect under asia', async () => {
    const before = await mainMetric(main, 'outpost_main_redirects_total{cache="asia"}');
    await pullLayers(auth.alice!);
    expect(await mainMetric(main, 'outpost_main_redirects_total{cache="asia"}')).toBe(before + image.layers.length);
  });
});
