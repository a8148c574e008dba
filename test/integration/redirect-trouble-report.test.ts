/**
 * An edge whose upstream cache fails tells main at once (edge/report-trouble.ts) while it fetches
 * that miss from main instead: main probes the failing cache's node now, takes it down at that one
 * failed probe, and the next pulls of the chain's users are served by main directly. Main's own probe rounds are off here
 * (an hour), so only the report can have told main.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, startTestEdge, type TestEdge } from '../helpers/edge.js';
import {
  createUsers,
  expectServedByMain,
  getBlob,
  publishImage,
  setCache,
  type PublishedImage,
} from '../helpers/redirect.js';
import { waitFor } from '../helpers/wait-for.js';

let main: TestMain;
let image: PublishedImage;
let alice: string;
let eu: TestEdge;
let asia: TestEdge;

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '1h', OUTPOST_MAIN_CACHES__ACTIVE_PROBE_INTERVAL: '0s' },
  });
  const { token } = await main.service.caches.joinTokens.create(3_600_000);
  image = await publishImage(main, [1000, 2000, 3000]);
  alice = (await createUsers(main, ['alice'])).alice!;
  const node = (name: string, upstream: string, nodeId: string) =>
    startTestEdge({ name, upstream, issuer: main.url, flags: { joinToken: token, nodeId } });
  eu = await node('eu', main.url, 'eu-1');
  asia = await node('asia', eu.url, 'asia-1');
  for (const edge of [eu, asia]) expect(await edge.service.joined).toBe('joined');
  await setCache(main, 'alice', 'asia');
});
afterAll(async () => {
  await asia?.stop();
  await eu?.stop();
  await main?.stop();
});

describe('an edge reporting its failing upstream cache', () => {
  it("gets the dead cache's node marked down by main, and the chain's pulls served by main", async () => {
    const [first, second] = image.layers;
    const pulled = await getBlob(main, first!.digest, alice);
    expect(pulled.status).toBe(307);
    expect((await readBody(await fetch(pulled.headers.get('location')!))).bytes.equals(first!.bytes)).toBe(true);

    await eu.stop();
    expect(main.service.caches.probe.isNodeUp('eu/eu-1')).toBe(true);
    // asia cannot fetch the second layer from eu: it fetches it from main, and tells main.
    const failing = await getBlob(main, second!.digest, alice);
    expect(failing.status).toBe(307);
    expect((await readBody(await fetch(failing.headers.get('location')!))).bytes.equals(second!.bytes)).toBe(true);
    await waitFor(() => !main.service.caches.probe.isNodeUp('eu/eu-1'), 'main to mark eu down from the report');
    await expectServedByMain(await getBlob(main, second!.digest, alice), second!);
  });
});
