/**
 * The `warm-cache` job on a real main and a real cache group of two edge nodes: an admin asks main
 * to warm `eu` with an image; each node then holds exactly its rendezvous share of the image's
 * blobs (fetched from main once), and a user's pull through the cache is all hits on the nodes
 * main redirects to. A second warm finds everything cached. Non-admins and unknown caches are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, readMetric, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { ADMIN, api, apiOk, expectApiError, pushImageAs } from '../helpers/api-client.js';
import { createUsers, getBlob, publishImage, REPO, setCache, type PublishedImage } from '../helpers/redirect.js';
import { waitFor } from '../helpers/wait-for.js';
import { blobOf, seededBytes } from '../helpers/oci-fixtures.js';
import { pickNode, rendezvousNode } from '../../main/caches/rendezvous.js';

const DAY = 24 * 3_600_000;
let main: TestMain;
let image: PublishedImage;
let alice: string;
const nodes = new Map<string, TestEdge>();

interface JobView {
  id: string;
  state: string;
  error?: string;
  summary?: Record<string, unknown>;
  progress: { done: number; total?: number };
}

const startWarm = (params: unknown, auth = ADMIN) =>
  api(main.url, 'POST', '/jobs', { auth, body: { kind: 'warm-cache', params } });
const ended = (id: string) =>
  waitFor(async () => {
    const job = await apiOk<JobView>(main.url, 'GET', `/jobs/${id}`, 200, { auth: ADMIN });
    return ['done', 'failed', 'cancelled'].includes(job.state) && job;
  }, `job ${id} to end`);
const metric = (id: string, series: string) => readMetric(nodes.get(id)!.url, series);
const blobsOfImage = () => [image.manifest.config, ...image.layers];

/** The node of `eu` that owns a blob, computed here from the node ids alone. */
const rendezvousOwner = (digest: string) =>
  pickNode(
    ['a', 'b'].map((id) => rendezvousNode({ id })),
    digest,
  )!.id;
function shares(): Record<string, string[]> {
  const result: Record<string, string[]> = { a: [], b: [] };
  for (const blob of blobsOfImage()) result[rendezvousOwner(blob.digest)]!.push(blob.digest);
  return result;
}

beforeAll(async () => {
  main = await startTestMain({
    auth: true,
    env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '200ms', OUTPOST_MAIN_CACHES__ACTIVE_PROBE_INTERVAL: '100ms' },
  });
  const token = (await main.service.caches.joinTokens.create(DAY)).token;
  // Seeded: the same split over the two nodes every run.
  image = await publishImage(
    main,
    Array.from({ length: 16 }, (_, i) => 200 + i),
    REPO,
    'v1',
    (size, i) => blobOf(seededBytes(`warm-cache-job-${i}`, size)),
  );
  alice = (await createUsers(main, ['alice'])).alice!;
  for (const id of ['a', 'b']) {
    const edge = await startTestEdge({
      name: 'eu',
      upstream: main.url,
      issuer: main.url,
      flags: { joinToken: token, nodeId: id },
    });
    nodes.set(id, edge);
    expect(await edge.service.joined).toBe('joined');
  }
  await setCache(main, 'alice', 'eu');
  await waitFor(
    () => ['a', 'b'].every((id) => main.service.caches.probe.isNodeUp(`eu/${id}`)),
    'main to see both nodes up',
  );
}, 60_000);
afterAll(async () => {
  for (const edge of nodes.values()) await edge.stop();
  await main?.stop();
});

describe('who may start a warm-cache job, and with what', () => {
  it('answers 403 to a user who is not an administrator', async () => {
    await expectApiError(
      await startWarm({ cache: 'eu', repository: REPO, reference: 'v1' }, alice),
      403,
      'NO_PERMISSION',
      /./,
    );
  });

  it('refuses an unknown cache, a bad reference and unknown parameters as bad input', async () => {
    await expectApiError(
      await startWarm({ cache: 'nowhere', repository: REPO, reference: 'v1' }),
      400,
      'INVALID_INPUT',
      /no content cache named "nowhere"/,
    );
    await expectApiError(
      await startWarm({ cache: 'eu', repository: REPO, reference: 'no tag!' }),
      400,
      'INVALID_INPUT',
      /params/,
    );
    await expectApiError(await startWarm({ cache: 'eu', repository: REPO }), 400, 'INVALID_INPUT', /reference/);
    await expectApiError(
      await startWarm({ cache: 'eu', repository: REPO, reference: 'v1', extra: 1 }),
      400,
      'INVALID_INPUT',
      /extra/,
    );
  });

  it('fails the job when the reference is not in the registry', async () => {
    const res = await startWarm({ cache: 'eu', repository: REPO, reference: 'missing' });
    expect(res.status).toBe(202);
    const job = await ended(((await res.json()) as JobView).id);
    expect(job).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/team\/app:missing is not in the registry/),
    });
  });
});

describe('warming a cache group', () => {
  it('fills each node with exactly its rendezvous share, each blob fetched from main once', async () => {
    const expected = shares();
    // Both nodes own some of the 17 blobs (so the test proves the split, not one node taking all).
    expect(expected.a!.length).toBeGreaterThan(0);
    expect(expected.b!.length).toBeGreaterThan(0);
    const res = await startWarm({ cache: 'eu', repository: REPO, reference: 'v1' });
    expect(res.status).toBe(202);
    const job = await ended(((await res.json()) as JobView).id);
    const total = blobsOfImage().length;
    expect(job).toMatchObject({
      state: 'done',
      summary: { blobs: total, fetched: total, alreadyCached: 0, failed: 0 },
      progress: { done: total, total },
    });
    for (const id of ['a', 'b']) {
      expect(await metric(id, 'outpost_edge_store_blobs')).toBe(expected[id]!.length);
      expect(await metric(id, 'outpost_edge_upstream_fetches_total{outcome="ok"}')).toBe(expected[id]!.length);
      // Warming is not a client's request: no hit or miss is counted.
      expect(await metric(id, 'outpost_edge_blob_requests_total{result="miss"}')).toBe(0);
    }
    const log = await apiOk<{ lines: string[] }>(main.url, 'GET', `/jobs/${job.id}/logs`, 200, { auth: ADMIN });
    expect(log.lines.join('\n')).toMatch(`${total} fetched, 0 already cached, 0 failed of ${total} blobs`);
    expect(log.lines.join('\n')).not.toMatch(/token=/);
  });

  it("serves the user's pull all from the cache: every blob a hit on the node main redirects to", async () => {
    const expected = shares();
    const byUrl = new Map([...nodes].map(([id, edge]) => [edge.url, id]));
    for (const blob of blobsOfImage()) {
      const res = await getBlob(main, blob.digest, alice);
      expect(res.status, await res.text()).toBe(307);
      const id = byUrl.get(new URL(res.headers.get('location')!).origin)!;
      expect(expected[id]).toContain(blob.digest);
      const body = await readBody(await fetch(res.headers.get('location')!));
      expect(body.bytes.equals(blob.bytes)).toBe(true);
    }
    for (const id of ['a', 'b']) {
      expect(await metric(id, 'outpost_edge_blob_requests_total{result="hit"}')).toBe(expected[id]!.length);
      expect(await metric(id, 'outpost_edge_blob_requests_total{result="miss"}')).toBe(0);
      expect(await metric(id, 'outpost_edge_upstream_fetches_total{outcome="ok"}')).toBe(expected[id]!.length);
    }
  });

  it('finds everything cached when warmed again', async () => {
    const res = await startWarm({ cache: 'eu', repository: REPO, reference: image.manifest.digest });
    const job = await ended(((await res.json()) as JobView).id);
    const total = blobsOfImage().length;
    expect(job).toMatchObject({
      state: 'done',
      summary: { blobs: total, fetched: 0, alreadyCached: total, failed: 0 },
    });
  });

  it('warms a private repository: the redirect token, not the repository, grants the pull', async () => {
    const layer = blobOf(seededBytes('warm-cache-job-private', 300));
    await pushImageAs(main.url, ADMIN, 'team/private', 'v1', [layer]);
    expect((await fetch(`${main.url}/v2/team/private/manifests/v1`)).status).toBe(401);
    const res = await startWarm({ cache: 'eu', repository: 'team/private', reference: 'v1' });
    const job = await ended(((await res.json()) as JobView).id);
    // Its config is the first image's (the same bytes), already cached: only the layer is new.
    expect(job).toMatchObject({ state: 'done', summary: { blobs: 2, fetched: 1, alreadyCached: 1, failed: 0 } });
    const owner = rendezvousOwner(layer.digest);
    const fetched = await metric(owner, 'outpost_edge_upstream_fetches_total{outcome="ok"}');
    await setCache(main, 'admin', 'eu');
    const location = (await getBlob(main, layer.digest, ADMIN, { repo: 'team/private' })).headers.get('location')!;
    expect(new URL(location).origin).toBe(nodes.get(owner)!.url);
    expect((await readBody(await fetch(location))).bytes.equals(layer.bytes)).toBe(true);
    expect(await metric(owner, 'outpost_edge_upstream_fetches_total{outcome="ok"}')).toBe(fetched);
  });

  it('fails, blob by blob in its log, when the cache cannot be reached', async () => {
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    await apiOk(main.url, 'POST', '/content_caches', 201, {
      auth: ADMIN,
      body: { name: 'closed', host: 'http://127.0.0.1:9' },
    });
    const res = await startWarm({ cache: 'closed', repository: REPO, reference: 'v1' });
    const job = await ended(((await res.json()) as JobView).id);
    const total = blobsOfImage().length;
    expect(job).toMatchObject({ state: 'failed', error: expect.stringMatching(/no blob could be warmed/) });
    const log = (await apiOk<{ lines: string[] }>(main.url, 'GET', `/jobs/${job.id}/logs`, 200, { auth: ADMIN })).lines;
    expect(log.join('\n')).toMatch(`0 fetched, 0 already cached, ${total} failed of ${total} blobs`);
    expect(log.filter((line) => line.startsWith('sha256:'))).toHaveLength(total);
  });
});
