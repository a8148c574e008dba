/**
 * Registry requests on a main with authentication on, without a token: the challenges
 * (Docker token spec "How to authenticate"), Basic credentials straight to /v2/, anonymous pulls
 * of public repositories, and malformed `Authorization` headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { expectOciError } from '../helpers/registry-http.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import {
  basicAuth,
  headBlob,
  makePublic,
  parseChallenge,
  pushImageAs,
  TEST_ADMIN_PASSWORD,
  type PushedAs,
} from '../helpers/auth-http.js';

let main: TestMain;
let privateImage: PushedAs;
let publicImage: PushedAs;
const ALICE = basicAuth('alice', 'alice-password');
const BOB = basicAuth('bob', 'bob-password');
const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await main.service.accounts.createUser({ name: 'alice', password: 'alice-password' });
  await main.service.accounts.createUser({ name: 'bob', password: 'bob-password' });
  privateImage = await pushImageAs(main.url, 'alice/private', 'v1', ALICE);
  publicImage = await pushImageAs(main.url, 'alice/public', 'v1', ALICE);
  await makePublic(main.url, 'alice/public', ADMIN);
});
afterAll(async () => {
  await main.stop();
});

describe('challenges without credentials', () => {
  it('GET /v2/ answers 401 UNAUTHORIZED with a Bearer challenge naming the realm and service', async () => {
    const res = await fetch(`${main.url}/v2/`);
    await expectOciError(res, 401, 'UNAUTHORIZED');
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${main.url}/auth/token",service="outpost"`);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it.each([
    ['GET', '/v2/alice/private/manifests/v1', 'repository:alice/private:pull'],
    ['HEAD', '/v2/alice/private/blobs/sha256:' + '0'.repeat(64), 'repository:alice/private:pull'],
    ['GET', '/v2/alice/private/tags/list', 'repository:alice/private:pull'],
    ['POST', '/v2/alice/new/blobs/uploads/', 'repository:alice/new:pull,push'],
    ['PUT', '/v2/alice/new/manifests/v1', 'repository:alice/new:pull,push'],
    ['DELETE', '/v2/alice/private/manifests/v1', 'repository:alice/private:delete'],
    ['GET', '/v2/_catalog', 'registry:catalog:*'],
  ])('%s %s answers 401 with scope="%s"', async (method, path, scope) => {
    const res = await fetch(`${main.url}${path}`, { method });
    expect(res.status).toBe(401);
    if (method !== 'HEAD') await expectOciError(res, 401, 'UNAUTHORIZED');
    expect(parseChallenge(res.headers.get('www-authenticate'))).toEqual({
      realm: `${main.url}/auth/token`,
      service: 'outpost',
      scope,
    });
  });

  it('names the repository in the error detail', async () => {
    const res = await fetch(`${main.url}/v2/alice/private/manifests/v1`);
    const error = await expectOciError(res, 401, 'UNAUTHORIZED');
    expect(error.detail).toEqual([{ Type: 'repository', Name: 'alice/private', Action: 'pull' }]);
  });
});

describe('anonymous clients', () => {
  it('pull a public repository without credentials', async () => {
    const res = await fetch(`${main.url}/v2/alice/public/manifests/v1`, {
      headers: { Accept: publicImage.manifest.mediaType },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(publicImage.manifest.bytes)).toBe(true);
    expect((await headBlob(main.url, 'alice/public', publicImage.layer.digest)).status).toBe(200);
  });

  it('may not push to a public repository', async () => {
    const res = await fetch(`${main.url}/v2/alice/public/blobs/uploads/`, { method: 'POST' });
    await expectOciError(res, 401, 'UNAUTHORIZED');
    expect(parseChallenge(res.headers.get('www-authenticate')).scope).toBe('repository:alice/public:pull,push');
  });

  it('get a challenge, not a 404, for a repository that does not exist (nothing is revealed)', async () => {
    const res = await fetch(`${main.url}/v2/alice/nothing-here/manifests/v1`);
    await expectOciError(res, 401, 'UNAUTHORIZED');
  });
});

describe('Basic credentials straight to /v2/', () => {
  it('answer 200 on the version check', async () => {
    const res = await fetch(`${main.url}/v2/`, { headers: { Authorization: ALICE } });
    expect(res.status).toBe(200);
  });

  it("let the owner pull the namespace's private repository", async () => {
    const res = await headBlob(main.url, 'alice/private', privateImage.layer.digest, ALICE);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(privateImage.layer.digest);
  });

  it('answer 403 DENIED to a known user without the right to pull', async () => {
    const res = await fetch(`${main.url}/v2/alice/private/manifests/v1`, { headers: { Authorization: BOB } });
    const error = await expectOciError(res, 403, 'DENIED');
    expect(error.message).toContain('bob');
  });

  it('answer 403 DENIED to a known user pushing to a public repository of another namespace', async () => {
    const blob = randomBlob(16);
    const res = await fetch(`${main.url}/v2/alice/public/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: BOB },
      body: blob.bytes,
    });
    await expectOciError(res, 403, 'DENIED');
  });

  it('let any signed-in user pull a public repository', async () => {
    expect((await headBlob(main.url, 'alice/public', publicImage.layer.digest, BOB)).status).toBe(200);
  });

  it('answer 401 UNAUTHORIZED with a challenge for a wrong password or an unknown user', async () => {
    for (const authorization of [basicAuth('alice', 'wrong-password'), basicAuth('mallory', 'alice-password')]) {
      const res = await fetch(`${main.url}/v2/alice/private/manifests/v1`, {
        headers: { Authorization: authorization },
      });
      await expectOciError(res, 401, 'UNAUTHORIZED');
      expect(parseChallenge(res.headers.get('www-authenticate')).scope).toBe('repository:alice/private:pull');
    }
  });

  it('let an administrator do everything', async () => {
    expect((await headBlob(main.url, 'alice/private', privateImage.layer.digest, ADMIN)).status).toBe(200);
    expect((await fetch(`${main.url}/v2/_catalog`, { headers: { Authorization: ADMIN } })).status).toBe(200);
  });
});

describe('malformed Authorization headers', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it.each([
    ['a scheme alone', 'Basic'],
    ['malformed base64', 'Basic !!!!'],
    ['base64 without a colon', `Basic ${b64('alice')}`],
    ['an unknown scheme', 'Digest username="alice", realm="x"'],
    ['a garbage bearer token', 'Bearer not-a-jwt'],
    ['a bearer JWT with garbage parts', 'Bearer eyJhbGciOiJFZERTQSJ9.eyJ9.AAAA'],
    ['a bearer token with a space', 'Bearer a b'],
    ['a very long header', `Bearer ${'a'.repeat(7000)}`],
    ['a NUL-free binary-looking value', `Basic ${b64('\u00ff\u00fe:\u0001')}`],
  ])('answer 401 UNAUTHORIZED (never 500) for %s', async (_what, authorization) => {
    for (const path of ['/v2/', '/v2/alice/private/manifests/v1', '/v2/alice/public/manifests/v1']) {
      const res = await fetch(`${main.url}${path}`, { headers: { Authorization: authorization } });
      await expectOciError(res, 401, 'UNAUTHORIZED');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    }
  });
});
