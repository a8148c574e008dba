/**
 * Main keeps what its redirect decisions read (the cache list, each user's setting and their
 * organizations' defaults) in memory (main/caches/redirect-inputs.ts). Every change made
 * through main applies to the very next redirect, through the fast path (bearer token) and the
 * app (Basic credentials) alike; a cache removed by `outpost main cache remove` in another
 * process, which main hears nothing of on the embedded backend, stops receiving redirects
 * within about a second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { runOutpost } from '../helpers/outpost-processes.js';
import { backendArgs } from '../helpers/test-backend.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  bearer,
  createUsers,
  getBlob,
  publishImage,
  pullToken,
  setCache,
  type PublishedImage,
} from '../helpers/redirect.js';

let main: TestMain;
let eu: TestEdge;
let us: TestEdge;
let image: PublishedImage;
let auth: Record<string, string>;
let aliceToken: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  us = await startTestEdge({ name: 'us', upstream: main.url, issuer: main.url });
  for (const cache of [eu, us]) await main.service.caches.caches.create({ name: cache.name, host: cache.url });
  auth = await createUsers(main, ['alice']);
  image = await publishImage(main);
  aliceToken = await pullToken(main, auth.alice!);
});
afterAll(async () => {
  await us?.stop();
  await eu?.stop();
  await main?.stop();
});

/** Where main sends alice, with her token and with her password: the edge's URL, or `main`. */
async function whereTo(): Promise<string[]> {
  const answers: string[] = [];
  for (const authorization of [bearer(aliceToken), auth.alice!]) {
    const res = await getBlob(main, image.layers[0]!.digest, authorization);
    await res.arrayBuffer();
    answers.push(
      res.status === 307
        ? new URL(res.headers.get('location')!).origin
        : res.status === 200
          ? 'main'
          : String(res.status),
    );
  }
  return answers;
}

describe("changes to what decides a user's cache", () => {
  it("apply to the next redirect: the user's own setting", async () => {
    await setCache(main, 'alice', 'eu');
    expect(await whereTo()).toEqual([eu.url, eu.url]);
    await setCache(main, 'alice', 'us');
    expect(await whereTo()).toEqual([us.url, us.url]);
    await setCache(main, 'alice', '');
    expect(await whereTo()).toEqual(['main', 'main']);
  });

  it("apply to the next redirect: an organization's default, membership and removal", async () => {
    await main.service.accounts.createOrg({ name: 'acme' });
    await setCache(main, 'acme', 'eu');
    expect(await whereTo()).toEqual(['main', 'main']);
    await main.service.accounts.setOrgMember('acme', 'alice', false);
    expect(await whereTo()).toEqual([eu.url, eu.url]);
    await setCache(main, 'acme', 'us');
    expect(await whereTo()).toEqual([us.url, us.url]);
    await main.service.accounts.removeOrgMember('acme', 'alice');
    expect(await whereTo()).toEqual(['main', 'main']);
  });

  it('apply to the next redirect: a cache moved or removed through main', async () => {
    await setCache(main, 'alice', 'eu');
    expect(await whereTo()).toEqual([eu.url, eu.url]);
    await main.service.caches.caches.update('eu', { host: us.url });
    expect(await whereTo()).toEqual([us.url, us.url]);
    await main.service.caches.caches.update('eu', { host: eu.url });
    expect(await whereTo()).toEqual([eu.url, eu.url]);
  });

  it('reach main within seconds when `outpost main cache remove` ran in another process', async () => {
    await main.service.caches.caches.create({ name: 'spare', host: us.url });
    await setCache(main, 'alice', 'spare');
    expect(await whereTo()).toEqual([us.url, us.url]);
    const removed = await runOutpost([
      'main',
      'cache',
      'remove',
      'spare',
      '--data',
      main.dataDir,
      ...backendArgs(main.backend),
    ]);
    expect(removed.code, removed.stderr).toBe(0);
    // A setting naming a removed cache counts as none: main serves the bytes.
    await waitFor(
      async () => (await whereTo()).every((to) => to === 'main'),
      'main to stop redirecting to "spare"',
      5_000,
    );
  });
});
