/**
 * Main's redirect decision over real sockets (auth on, one edge "eu"): a blob GET by a user
 * whose profile (or organization, or network) names a cache is answered 307 to that cache with
 * a redirect token; HEAD and manifests are answered by main; a user without preference gets the
 * bytes from main. Each path counts in main's metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, startTestEdge, type TestEdge } from '../helpers/edge.js';
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

let main: TestMain;
let eu: TestEdge;
let image: PublishedImage;
let auth: Record<string, string>;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  await main.service.caches.caches.create({ name: 'eu', host: eu.url, region: 'eu-west-1' });
  auth = await createUsers(main, ['alice', 'bob', 'carol', 'dave']);
  image = await publishImage(main);
  await setCache(main, 'alice', 'eu');
  // carol has no setting of her own; her organization's default is eu.
  await main.service.accounts.createOrg({ name: 'acme' });
  await main.service.accounts.setOrgMember('acme', 'carol', false);
  await setCache(main, 'acme', 'eu');
});
afterAll(async () => {
  await eu?.stop();
  await main?.stop();
});

const layer = () => image.layers[0]!;
const redirectsToEu = () => mainMetric(main, 'outpost_main_redirects_total{cache="eu"}');
const direct = (reason: string) => mainMetric(main, `outpost_main_blob_direct_total{reason="${reason}"}`);

describe('GET /v2/<name>/blobs/<digest> by a user whose profile names a cache', () => {
  it('answers 307 to <cache host>/v2/<name>/blobs/<digest>?token=... and counts the redirect', async () => {
    const before = await redirectsToEu();
    const res = await getBlob(main, layer().digest, bearer(await pullToken(main, auth.alice!)));
    const location = await expectRedirect(res, eu.url, layer().digest);
    expect(res.headers.get('docker-content-digest')).toBe(layer().digest);
    expect(decodeJwt(tokenIn(location))).toMatchObject({
      iss: main.url,
      sub: 'alice',
      aud: ['eu'],
      repo: REPO,
      digest: layer().digest,
    });
    expect(await redirectsToEu()).toBe(before + 1);
  });

  it('redirects Basic-credential clients the same way', async () => {
    await expectRedirect(await getBlob(main, layer().digest, auth.alice), eu.url, layer().digest);
  });

  it('sends the client to an edge that serves the bytes with that token', async () => {
    const location = await expectRedirect(await getBlob(main, layer().digest, auth.alice), eu.url, layer().digest);
    const { bytes, error } = await readBody(await fetch(location));
    expect(error).toBeUndefined();
    expect(bytes.equals(layer().bytes)).toBe(true);
  });

  it('answers 404 BLOB_UNKNOWN for a blob main does not have, instead of redirecting', async () => {
    const res = await getBlob(main, `sha256:${'0'.repeat(64)}`, auth.alice);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]!.code).toBe('BLOB_UNKNOWN');
  });

  it('answers HEAD itself, with the size and digest', async () => {
    const res = await getBlob(main, layer().digest, auth.alice, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-length')).toBe(String(layer().size));
    expect(res.headers.get('docker-content-digest')).toBe(layer().digest);
  });

  it('answers manifest GETs itself', async () => {
    const res = await fetch(`${main.url}/v2/${REPO}/manifests/v1`, {
      redirect: 'manual',
      headers: { Authorization: auth.alice!, Accept: image.manifest.mediaType },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(image.manifest.bytes)).toBe(true);
  });
});

describe('GET /v2/<name>/blobs/<digest> without a cache preference', () => {
  it('serves the bytes from main and counts outpost_main_blob_direct_total{reason="no-preference"}', async () => {
    const before = await direct('no-preference');
    await expectServedByMain(await getBlob(main, layer().digest, bearer(await pullToken(main, auth.bob!))), layer());
    expect(await direct('no-preference')).toBe(before + 1);
  });

  it('serves anonymous pulls of a public repository from main when no network rule applies', async () => {
    await expectServedByMain(await getBlob(main, layer().digest), layer());
  });

  it('serves from main a user whose setting was cleared', async () => {
    await setCache(main, 'dave', 'eu');
    await expectRedirect(await getBlob(main, layer().digest, auth.dave), eu.url, layer().digest);
    await setCache(main, 'dave', '');
    await expectServedByMain(await getBlob(main, layer().digest, auth.dave), layer());
  });
});

describe("an organization's default cache", () => {
  it('applies to a member without a setting of their own', async () => {
    const location = await expectRedirect(await getBlob(main, layer().digest, auth.carol), eu.url, layer().digest);
    expect(decodeJwt(tokenIn(location)).sub).toBe('carol');
  });

  it("gives way to the member's own setting", async () => {
    const local = await startTestEdge({ name: 'local', upstream: main.url, issuer: main.url });
    try {
      await main.service.caches.caches.create({ name: 'local', host: local.url });
      await setCache(main, 'carol', 'local');
      await expectRedirect(await getBlob(main, layer().digest, auth.carol), local.url, layer().digest);
    } finally {
      await setCache(main, 'carol', '');
      await main.service.caches.caches.remove('local');
      await local.stop();
    }
  });
});

describe('a network rule (CIDR)', () => {
  it('picks the cache for a user with no setting when the client address is in its networks', async () => {
    const lan = await startTestEdge({ name: 'lan', upstream: main.url, issuer: main.url });
    try {
      await main.service.caches.caches.create({ name: 'lan', host: lan.url, networks: ['127.0.0.0/8'] });
      const location = await expectRedirect(await getBlob(main, layer().digest, auth.bob), lan.url, layer().digest);
      expect(decodeJwt(tokenIn(location))).toMatchObject({ sub: 'bob', aud: ['lan'] });
      // ... also anonymous clients, with the anonymous subject.
      expect(
        decodeJwt(tokenIn(await expectRedirect(await getBlob(main, layer().digest), lan.url, layer().digest))).sub,
      ).toBe('anonymous');
      // A user's own setting still wins over the network.
      await expectRedirect(await getBlob(main, layer().digest, auth.alice), eu.url, layer().digest);
    } finally {
      await main.service.caches.caches.remove('lan');
      await lan.stop();
    }
  });

  it('does not apply to clients outside its networks', async () => {
    await main.service.caches.caches.create({
      name: 'far',
      host: 'http://127.0.0.1:9',
      networks: ['10.0.0.0/8', '2001:db8::/32'],
    });
    try {
      await expectServedByMain(await getBlob(main, layer().digest, auth.bob), layer());
    } finally {
      await main.service.caches.caches.remove('far');
    }
  });
});
