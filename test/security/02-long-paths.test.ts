/**
 * Issue 9, item 2: long `/v2` paths made the router backtrack (seconds of main's event loop per
 * request, unauthenticated). Paths over 512 characters and repository names over 255 are
 * refused before any router or access check sees them: `400 NAME_INVALID` on `/v2`, `414`
 * elsewhere, on main and on the edge. What routing costs at the limit is measured by
 * `load/route-cost.mjs` (no timing is asserted here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { ADMIN, pushImageAs } from '../helpers/api-client.js';
import { expectOciError } from '../helpers/registry-http.js';
import { randomBlob } from '../helpers/oci-fixtures.js';

let main: TestMain;
let edge: TestEdge;
const DIGEST = randomBlob(8).digest;
const SHA512 = `sha512:${'0'.repeat(128)}`;
/** The review's path: 7,000 `a/` components. */
const HUGE_NAME = `${'a/'.repeat(7000)}-`;
const NAME_255 = `${'a'.repeat(127)}/${'b'.repeat(127)}`;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  edge = await startTestEdge({ name: 'edge-a', upstream: main.url, issuer: main.url });
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

async function expectPathRefused(res: Response): Promise<void> {
  const error = await expectOciError(res, 400, 'NAME_INVALID');
  expect(error.message).toBe(
    'request path too long: repository names have at most 255 characters and paths at most 512',
  );
  expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
}

describe('over-long /v2 paths on main', () => {
  it.each([
    ['GET', `/v2/${HUGE_NAME}/tags/list`],
    ['GET', `/v2/${HUGE_NAME}/manifests/latest`],
    ['HEAD', `/v2/${HUGE_NAME}/blobs/${DIGEST}`],
    ['POST', `/v2/${HUGE_NAME}/blobs/uploads/`],
    ['GET', `/v2/${HUGE_NAME}`],
    ['GET', `/v2/${'/'.repeat(5000)}x/tags/list`],
  ])('answers an anonymous %s of a 10,000+ character path with 400 NAME_INVALID', async (method, path) => {
    const res = await fetch(`${main.url}${path}`, { method });
    if (method === 'HEAD') expect(res.status).toBe(400);
    else await expectPathRefused(res);
  });

  it('answers 400 NAME_INVALID for a name of 256 to 500 characters before asking for credentials', async () => {
    const name = `${'a'.repeat(200)}/${'b'.repeat(100)}`;
    await expectPathRefused(await fetch(`${main.url}/v2/${name}/tags/list`));
    await expectPathRefused(await fetch(`${main.url}/v2/${'c'.repeat(256)}/manifests/latest`));
  });

  it('still routes the longest valid paths: a 255-character name with a sha512 reference', async () => {
    await pushImageAs(main.url, ADMIN, NAME_255, 'v1');
    const tags = await fetch(`${main.url}/v2/${NAME_255}/tags/list`, { headers: { Authorization: ADMIN } });
    expect(await tags.json()).toEqual({ name: NAME_255, tags: ['v1'] });
    const path = `/v2/${NAME_255}/manifests/${SHA512}/`;
    expect(path.length).toBeGreaterThan(400);
    const res = await fetch(`${main.url}${path}`, { headers: { Authorization: ADMIN } });
    await expectOciError(res, 404, 'MANIFEST_UNKNOWN');
  });

  it('takes the name of a path with a long query as usual: only the path is bounded', async () => {
    const url = `${main.url}/v2/${NAME_255}/tags/list?n=1&x=${'q'.repeat(2000)}`;
    const res = await fetch(url, { headers: { Authorization: ADMIN } });
    expect(res.status).toBe(200);
  });
});

describe('over-long paths outside /v2', () => {
  it('answers 414 to a web page path over 512 characters', async () => {
    const res = await fetch(`${main.url}/repositories/${'a/'.repeat(3000)}settings`);
    expect(res.status).toBe(414);
    expect(await res.text()).toBe('request path too long\n');
  });

  it('serves ordinary pages and the API as before', async () => {
    expect((await fetch(`${main.url}/sign-in`)).status).toBe(200);
    expect((await fetch(`${main.url}/api/v0/repositories`, { headers: { Authorization: ADMIN } })).status).toBe(200);
  });
});

describe('over-long /v2 paths on the edge', () => {
  it('answers 400 NAME_INVALID before routing or asking for a token', async () => {
    await expectPathRefused(await fetch(`${edge.url}/v2/${HUGE_NAME}/blobs/${DIGEST}`));
    await expectPathRefused(await fetch(`${edge.url}/v2/${'e'.repeat(300)}/blobs/${DIGEST}`));
  });

  it('still refuses an ordinary anonymous blob request for want of a token', async () => {
    expect((await fetch(`${edge.url}/v2/a/b/blobs/${DIGEST}`)).status).toBe(401);
  });
});
