/**
 * Every 401 of the edge carries a `WWW-Authenticate` challenge (RFC 9110 section 15.5.2):
 * `Bearer realm="outpost-edge"` when no redirect token came, with `error="invalid_token"`
 * (RFC 6750) when one came and was refused. A valid token still gets the blob.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';

const REPO = 'team/app';

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

const redirectToken = (now = Date.now()) =>
  issueRedirectToken(main.service.keys.signingKey, {
    issuer: main.url,
    subject: 'alice',
    repository: REPO,
    digest: blob.digest,
    audience: ['eu'],
    lifetimeMs: 120_000,
    now,
  });

describe('401 on the edge', () => {
  it('challenges a request without a redirect token with Bearer realm="outpost-edge"', async () => {
    const res = await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="outpost-edge"');
    await expectOciError(res, 401, 'UNAUTHORIZED');
  });

  it('adds error="invalid_token" for an expired or unreadable token, on GET and HEAD', async () => {
    const expired = await redirectToken(Date.now() - 10 * 60_000);
    for (const [token, method] of [[expired, 'GET'], ['not-a-token', 'GET'], [expired, 'HEAD']] as const) {
      const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token), { method });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="outpost-edge",error="invalid_token"');
      if (method === 'GET') await expectOciError(res, 401, 'UNAUTHORIZED');
    }
  });

  it('serves the blob for a valid redirect token', async () => {
    const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, await redirectToken()));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });
});
