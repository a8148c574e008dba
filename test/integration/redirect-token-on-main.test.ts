/**
 * Main accepts its own redirect token as `Authorization: Bearer` on the blob GET it names:
 * that is how an edge fetches a miss with the client's permission. Such a request is served by
 * main itself, never redirected again (no loops), and the token opens that one blob only. A cache
 * that names itself (X-Outpost-Cache) must be one of the chain the token names (`aud`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { signRedirectToken } from '../helpers/edge.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { ADMIN, pushImageAs } from '../helpers/api-client.js';
import {
  bearer,
  createUsers,
  expectRedirect,
  expectServedByMain,
  getBlob,
  mainMetric,
  publishImage,
  pullToken,
  REPO,
  setCache,
  tokenIn,
  type PublishedImage,
} from '../helpers/redirect.js';

const OTHER_REPO = 'team/other';

let main: TestMain;
let image: PublishedImage;
let auth: Record<string, string>;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  // A cache nobody can reach: a redirect to it would be a failure of these tests.
  await main.service.caches.caches.create({ name: 'eu', host: 'http://127.0.0.1:9' });
  auth = await createUsers(main, ['alice']);
  await setCache(main, 'alice', 'eu');
  image = await publishImage(main);
  await pushImageAs(main.url, ADMIN, OTHER_REPO, 'v1', [randomBlob(500)]);
});
afterAll(async () => {
  await main?.stop();
});

const layer = () => image.layers[0]!;
const redirectToken = (overrides: { repository?: string; digest?: string; lifetimeMs?: number; now?: number } = {}) =>
  signRedirectToken(main, {
    repository: overrides.repository ?? REPO,
    digest: overrides.digest ?? layer().digest,
    audience: ['eu'],
    ...overrides,
  });

async function expectUnauthorized(res: Response, message: RegExp): Promise<void> {
  const body = await res.text();
  expect(res.status, body).toBe(401);
  const error = (JSON.parse(body) as { errors: Array<{ code: string; message: string }> }).errors[0]!;
  expect(error.code).toBe('UNAUTHORIZED');
  expect(error.message).toMatch(message);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=.*error="invalid_token"/);
  expect(res.headers.get('location')).toBeNull();
}

describe('a blob GET carrying a redirect token as Bearer', () => {
  it('is served by main, although the user behind it has a cache, and counted as a cache fetch (kind="miss"), not a client download', async () => {
    const before = await mainMetric(main, 'outpost_main_cache_fetches_total{kind="miss"}');
    await expectServedByMain(await getBlob(main, layer().digest, bearer(await redirectToken())), layer());
    expect(await mainMetric(main, 'outpost_main_cache_fetches_total{kind="miss"}')).toBe(before + 1);
  });

  it("is served with the very token main's own redirect handed out", async () => {
    const location = await expectRedirect(
      await getBlob(main, layer().digest, auth.alice),
      'http://127.0.0.1:9',
      layer().digest,
    );
    await expectServedByMain(await getBlob(main, layer().digest, bearer(tokenIn(location))), layer());
  });

  it('also answers HEAD and single ranges', async () => {
    const token = await redirectToken();
    const head = await getBlob(main, layer().digest, bearer(token), { method: 'HEAD' });
    expect(head.status).toBe(200);
    const range = await fetch(`${main.url}/v2/${REPO}/blobs/${layer().digest}`, {
      headers: { Authorization: bearer(token), Range: 'bytes=0-9' },
    });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(layer().bytes.subarray(0, 10))).toBe(true);
  });

  it('is refused with 401 for another blob of the same repository', async () => {
    await expectUnauthorized(
      await getBlob(main, image.layers[1]!.digest, bearer(await redirectToken())),
      /another blob/,
    );
  });

  it('is refused with 401 for the same blob in another repository', async () => {
    const other = (await fetch(`${main.url}/v2/${OTHER_REPO}/manifests/v1`, { headers: { Authorization: ADMIN } }))
      .status;
    expect(other).toBe(200);
    const token = await redirectToken({ repository: OTHER_REPO });
    await expectUnauthorized(await getBlob(main, layer().digest, bearer(token)), /another repository/);
  });

  it('is refused with 401 once expired', async () => {
    const token = await redirectToken({ lifetimeMs: 1_000, now: Date.now() - 60_000 });
    await expectUnauthorized(await getBlob(main, layer().digest, bearer(token)), /expired/);
  });

  it('opens nothing but that blob: no manifest, no tag list, no upload', async () => {
    const token = bearer(await redirectToken());
    expect((await fetch(`${main.url}/v2/${REPO}/manifests/v1`, { headers: { Authorization: token } })).status).toBe(
      401,
    );
    expect((await fetch(`${main.url}/v2/${REPO}/tags/list`, { headers: { Authorization: token } })).status).toBe(401);
    expect(
      (await fetch(`${main.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: { Authorization: token } }))
        .status,
    ).toBe(401);
  });

  it('is refused when its user was removed since', async () => {
    await main.service.accounts.createUser({ name: 'gone', password: 'redirect-test-password' });
    const token = await signRedirectToken(main, {
      repository: REPO,
      digest: layer().digest,
      audience: ['eu'],
      subject: 'gone',
    });
    await main.service.accounts.removeUser('gone');
    const res = await getBlob(main, layer().digest, bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers.get('location')).toBeNull();
  });
});

describe('a blob GET carrying a redirect token from a cache that names itself (X-Outpost-Cache)', () => {
  const fromCache = async (cache: string, audience: string[]) =>
    fetch(`${main.url}/v2/${REPO}/blobs/${layer().digest}`, {
      redirect: 'manual',
      headers: {
        Authorization: bearer(await signRedirectToken(main, { repository: REPO, digest: layer().digest, audience })),
        'X-Outpost-Cache': cache,
      },
    });

  it("is served to every cache of the token's chain: the one next to main, and one further down", async () => {
    // asia pulls through eu: eu asks main on a miss, and so does asia when eu is down (fallback).
    await expectServedByMain(await fromCache('eu', ['asia', 'eu']), layer());
    await expectServedByMain(await fromCache('asia', ['asia', 'eu']), layer());
  });

  it('is refused with 401 to a cache that is not in the chain the token names', async () => {
    await expectUnauthorized(await fromCache('us', ['asia', 'eu']), /not for cache us/);
    await expectUnauthorized(await fromCache('asia', ['eu']), /not for cache asia/);
  });
});

describe('a blob GET from an edge warming its cache (X-Outpost-Cache) with a registry token', () => {
  it('is served by main and counted as a cache fetch (kind="warm")', async () => {
    const before = await mainMetric(main, 'outpost_main_cache_fetches_total{kind="warm"}');
    const res = await fetch(`${main.url}/v2/${REPO}/blobs/${layer().digest}`, {
      redirect: 'manual',
      headers: { Authorization: bearer(await pullToken(main, auth.alice!)), 'X-Outpost-Cache': 'eu' },
    });
    await expectServedByMain(res, layer());
    expect(await mainMetric(main, 'outpost_main_cache_fetches_total{kind="warm"}')).toBe(before + 1);
  });
});
