/**
 * Issue 9, "the first ten minutes": the edge answered 401 without `WWW-Authenticate`, which
 * RFC 9110 section 15.5.2 requires. Every 401 of the edge now carries a Bearer challenge naming
 * the edge (a redirect token comes from main's 307, not from a token endpoint here), with
 * `error="invalid_token"` when a token was presented (RFC 6750 section 3), on the route and on
 * the requests shaped for the hot path (edge/routes/blob-fast-path.ts) alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';

const REPO = 'team/app';
const NO_TOKEN = 'Bearer realm="outpost-edge"';
const BAD_TOKEN = 'Bearer realm="outpost-edge",error="invalid_token"';

let main: TestMain;
let edge: TestEdge;
let blob: Blob;

beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  blob = randomBlob(1000);
  await pushBlob(main.url, REPO, blob);
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

describe('401 answers of the edge carry a WWW-Authenticate challenge', () => {
  it('GET of a blob without a token: a Bearer challenge naming the edge, no error', async () => {
    const res = await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`);
    expect(res.headers.get('www-authenticate')).toBe(NO_TOKEN);
    const error = await expectOciError(res, 401, 'UNAUTHORIZED');
    expect(error.message).toMatch(/redirect token from main is required/);
  });

  it('HEAD of a blob without a token', async () => {
    const res = await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`, { method: 'HEAD' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(NO_TOKEN);
  });

  it('a request of the hot path shape (GET ?token=) with an unreadable token: invalid_token', async () => {
    const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, 'not.a.jwt'));
    expect(res.headers.get('www-authenticate')).toBe(BAD_TOKEN);
    await expectOciError(res, 401, 'UNAUTHORIZED');
  });

  it('an expired token in the Authorization header: invalid_token', async () => {
    const hourAgo = Date.now() - 3_600_000;
    const request = { repository: REPO, digest: blob.digest, audience: ['eu'], now: hourAgo, lifetimeMs: 60_000 };
    const expired = await signRedirectToken(main, request);
    const headers = { Authorization: `Bearer ${expired}` };
    const res = await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`, { headers });
    expect(res.headers.get('www-authenticate')).toBe(BAD_TOKEN);
    const error = await expectOciError(res, 401, 'UNAUTHORIZED');
    expect(error.message).toBe('redirect token refused: token has expired');
  });

  it('a 403 for a genuine token for another blob has no challenge (re-authenticating would not help)', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const other = await signRedirectToken(main, { repository: REPO, digest, audience: ['eu'] });
    const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, other));
    expect(res.headers.get('www-authenticate')).toBeNull();
    await expectOciError(res, 403, 'DENIED');
  });
});

describe('the same requests with a valid token', () => {
  it('are served, first through the route and then through the hot path, without a challenge', async () => {
    const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
    const url = edgeBlobUrl(edge.url, REPO, blob.digest, token);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
  });
});
