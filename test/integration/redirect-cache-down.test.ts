/**
 * A dead edge never fails a pull: main probes every cache's /health (every 200 ms here), marks a
 * cache down after three failures (`outpost_main_cache_up` 0) and sends its users to the next
 * cache up the chain, or serves them itself; a cache that answers again is used again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createLogger } from '../../src/log/logger.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { waitFor } from '../helpers/wait-for.js';
import { ADMIN, apiOk } from '../helpers/api-client.js';
import {
  createUsers,
  expectRedirect,
  expectServedByMain,
  getBlob,
  mainMetric,
  publishImage,
  setCache,
  tokenIn,
  type PublishedImage,
} from '../helpers/redirect.js';

let main: TestMain;
let eu: TestEdge;
let asia: TestEdge;
let image: PublishedImage;
let auth: Record<string, string>;
let logs = '';

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '200ms' },
    logger: createLogger({ write: (line) => void (logs += line) }),
  });
  eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  asia = await startTestEdge({ name: 'asia', upstream: eu.url, issuer: main.url });
  await main.service.caches.caches.create({ name: 'eu', host: eu.url });
  await main.service.caches.caches.create({ name: 'asia', host: asia.url, upstream: 'eu' });
  auth = await createUsers(main, ['alice', 'bob']);
  await setCache(main, 'alice', 'asia');
  await setCache(main, 'bob', 'eu');
  image = await publishImage(main);
});
afterAll(async () => {
  await asia?.stop();
  await eu?.stop();
  await main?.stop();
});

const layer = () => image.layers[0]!;
const up = (cache: string) => mainMetric(main, `outpost_main_cache_up{cache="${cache}"}`);
const waitUntilUp = (cache: string, value: 0 | 1) =>
  waitFor(async () => (await up(cache)) === value, `main to see ${cache} ${value ? 'up' : 'down'}`);

/** Follows main's answer as a client would and checks the bytes. */
async function pull(authorization: string, expectedCache: TestEdge | 'main'): Promise<string | undefined> {
  const res = await getBlob(main, layer().digest, authorization);
  if (expectedCache === 'main') {
    await expectServedByMain(res, layer());
    return undefined;
  }
  const location = await expectRedirect(res, expectedCache.url, layer().digest);
  const { bytes, error } = await readBody(await fetch(location));
  expect(error).toBeUndefined();
  expect(bytes.equals(layer().bytes)).toBe(true);
  return location;
}

describe('main watching its caches', () => {
  it('sees live caches as up', async () => {
    await waitUntilUp('asia', 1);
    expect(await up('eu')).toBe(1);
    await pull(auth.alice!, asia);
  });

  it('marks a stopped edge down within a few probe intervals and sends its users up the chain', async () => {
    await asia.stop();
    await waitUntilUp('asia', 0);
    expect(await up('eu')).toBe(1);
    const location = await pull(auth.alice!, eu);
    expect(decodeJwt(tokenIn(location!)).aud).toEqual(['eu']);
    expect(logs).toMatch(/"msg":"content cache node is down".*"cache":"asia"/);
  });

  it('lists the down cache with its health in the API', async () => {
    const listed = await apiOk<Array<{ name: string; health: { up: boolean; lastError?: string } }>>(
      main.url,
      'GET',
      '/content_caches',
      200,
      { auth: auth.bob },
    );
    expect(listed.find((c) => c.name === 'asia')!.health).toMatchObject({ up: false, lastError: expect.any(String) });
    expect(listed.find((c) => c.name === 'eu')!.health.up).toBe(true);
  });

  it('serves pulls itself once the whole chain is down, counted as reason="cache-down"', async () => {
    await eu.stop();
    await waitUntilUp('eu', 0);
    const before = await mainMetric(main, 'outpost_main_blob_direct_total{reason="cache-down"}');
    await pull(auth.alice!, 'main');
    await pull(auth.bob!, 'main');
    expect(await mainMetric(main, 'outpost_main_blob_direct_total{reason="cache-down"}')).toBe(before + 2);
  });

  it('uses a cache again once it answers: an edge brought back at a new address', async () => {
    eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
    await apiOk(main.url, 'PATCH', '/content_caches/eu', 200, { auth: ADMIN, body: { host: eu.url } });
    await waitUntilUp('eu', 1);
    await pull(auth.bob!, eu);
    // asia is still down: its users go to eu.
    await pull(auth.alice!, eu);
    // A recovery is info; the node going down was the warning.
    expect(logs).toMatch(/"level":"info","msg":"content cache node is up again".*"cache":"eu"/);
    expect(logs).toMatch(/"level":"warn","msg":"content cache node is down".*"cache":"eu"/);
  });
});
