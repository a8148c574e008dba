/**
 * Input that must never reach the store: malformed repository names (distribution-spec
 * `<name>` grammar, at most 255 characters), malformed digests and session ids, and path
 * traversal in every spelling. Each answer is a 4xx in the error envelope, never a 500.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage, rawRequest } from '../helpers/registry-http.js';

let main: TestMain;
const blob = randomBlob(32);
const DIGEST = blob.digest;

beforeAll(async () => {
  main = await startTestMain();
  await pushBlob(main.url, 'valid/repo', blob);
});
afterAll(async () => {
  await main.stop();
});

/** Everything main keeps: the data directory's files and the blob store's entries (files or objects). */
const storedFiles = async () => {
  const data = readdirSync(main.dataDir, { recursive: true, encoding: 'utf8' }).map((path) => join(main.dataDir, path));
  return [...new Set([...data, ...(await main.backend.blobArea.entries())])].sort();
};

const BAD_NAMES = [
  'UpperCase',
  'a/B',
  'a..b',
  '-lead',
  'trail-',
  'a//b',
  '.hidden',
  'a/.b',
  'a___b',
  'a b',
  'a:b',
  'a%00b',
  'x'.repeat(256),
  `${'a'.repeat(200)}/${'b'.repeat(55)}`,
];

/** Every route that takes a name, with the method and the rest of the path. */
const ENDPOINTS: Array<[method: string, suffix: string]> = [
  ['GET', `/blobs/${DIGEST}`],
  ['HEAD', `/blobs/${DIGEST}`],
  ['DELETE', `/blobs/${DIGEST}`],
  ['POST', '/blobs/uploads/'],
  ['POST', `/blobs/uploads/?digest=${DIGEST}`],
  ['GET', '/blobs/uploads/00000000-0000-4000-8000-000000000000'],
  ['PATCH', '/blobs/uploads/00000000-0000-4000-8000-000000000000'],
  ['PUT', `/blobs/uploads/00000000-0000-4000-8000-000000000000?digest=${DIGEST}`],
  ['DELETE', '/blobs/uploads/00000000-0000-4000-8000-000000000000'],
  ['GET', '/manifests/latest'],
  ['HEAD', '/manifests/latest'],
  ['PUT', '/manifests/latest'],
  ['DELETE', `/manifests/${DIGEST}`],
  ['GET', '/tags/list'],
  ['GET', `/referrers/${DIGEST}`],
];

describe('malformed repository names', () => {
  it.each(BAD_NAMES.map((name) => [name.length > 40 ? `${name.slice(0, 20)}... (${name.length} chars)` : name, name]))(
    'answers 400 NAME_INVALID for %s on every endpoint',
    async (_label, name) => {
      for (const [method, suffix] of ENDPOINTS) {
        const res = await fetch(`${main.url}/v2/${name}${suffix}`, {
          method,
          ...(method === 'PUT' || method === 'PATCH' ? { body: new Uint8Array(1) } : {}),
        });
        if (method === 'HEAD') expect(res.status, `${method} ${suffix}`).toBe(400);
        else await expectOciError(res, 400, 'NAME_INVALID');
      }
    },
  );

  it('accepts a name of exactly 255 characters', async () => {
    const name = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    expect(name).toHaveLength(255);
    await pushImage(main.url, name, 'v1');
    expect((await fetch(`${main.url}/v2/${name}/manifests/v1`)).status).toBe(200);
  });

  it('accepts names with dots, dashes, double underscores and many components', async () => {
    for (const name of ['a.b', 'a-b', 'a--b', 'a__b', 'a_b', '0/1/2/3/4/5/6/7']) {
      const res = await fetch(`${main.url}/v2/${name}/blobs/uploads/?digest=${DIGEST}`, {
        method: 'POST',
        body: blob.bytes,
      });
      expect(res.status, name).toBe(201);
    }
  });
});

describe('malformed digests', () => {
  const BAD = [
    'sha256:' + 'a'.repeat(63),
    'sha256:' + 'a'.repeat(65),
    'SHA256:' + 'a'.repeat(64),
    'sha256:' + 'a'.repeat(63) + 'g',
    'sha384:' + 'a'.repeat(96),
    ':' + 'a'.repeat(64),
    'sha256:',
  ];

  // A GET of a manifest by a malformed digest is a pull of a nonexistent manifest (spec): 404.
  it.each(BAD)('answers 400 DIGEST_INVALID for %s wherever a digest is taken, but a pull', async (digest) => {
    await expectOciError(await fetch(`${main.url}/v2/valid/repo/manifests/${digest}`), 404, 'MANIFEST_UNKNOWN');
    const requests: Array<[string, string, string?]> = [
      ['GET', `/v2/valid/repo/blobs/${digest}`],
      ['DELETE', `/v2/valid/repo/blobs/${digest}`],
      ['PUT', `/v2/valid/repo/manifests/${digest}`, '{}'],
      ['DELETE', `/v2/valid/repo/manifests/${digest}`],
      ['GET', `/v2/valid/repo/referrers/${digest}`],
      ['POST', `/v2/valid/repo/blobs/uploads/?digest=${digest}`, 'x'],
      ['POST', `/v2/valid/repo/blobs/uploads/?mount=${digest}&from=valid/repo`],
    ];
    for (const [method, path, body] of requests) {
      const res = await fetch(`${main.url}${path}`, { method, ...(body !== undefined && { body: Buffer.from(body) }) });
      await expectOciError(res, 400, 'DIGEST_INVALID');
    }
  });
});

describe('path traversal', () => {
  it('never lets an encoded ../ in a name through: 400 NAME_INVALID', async () => {
    for (const path of [
      `/v2/valid%2F..%2F..%2Fetc/blobs/${DIGEST}`,
      `/v2/..%2F..%2Fetc/tags/list`,
      `/v2/valid%2F..%2Frepo/manifests/latest`,
    ]) {
      const res = await rawRequest(main.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'NAME_INVALID' }] });
    }
  });

  it('never lets ../ in a digest through: 400 DIGEST_INVALID', async () => {
    const paths = [`/v2/valid/repo/blobs/..%2F..%2F..%2Fdb`, `/v2/valid/repo/blobs/sha256:..%2F..%2F..%2Fetc%2Fpasswd`];
    for (const path of paths) {
      const res = await rawRequest(main.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'DIGEST_INVALID' }] });
    }
    const manifest = await rawRequest(main.url, 'GET', `/v2/valid/repo/manifests/sha256:..%2F..`);
    expect(manifest.status).toBe(404);
    expect(JSON.parse(manifest.body)).toMatchObject({ errors: [{ code: 'MANIFEST_UNKNOWN' }] });
  });

  it('never lets ../ in an upload session id through: 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const before = await storedFiles();
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const res = await rawRequest(
        main.url,
        method,
        `/v2/valid/repo/blobs/uploads/..%2F..%2Fdb%2Fdata.mdb?digest=${DIGEST}`,
      );
      expect(res.status, method).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'BLOB_UPLOAD_UNKNOWN' }] });
    }
    // Whatever the session id names (the embedded database file here), nothing was removed or added.
    expect(await storedFiles()).toEqual(before);
  });

  it('resolves literal and encoded dot segments before routing, so they cannot climb out of /v2/', async () => {
    for (const path of [
      `/v2/../../etc/passwd/blobs/${DIGEST}`,
      `/v2/valid/repo/%2e%2e/%2e%2e/%2e%2e/blobs/${DIGEST}`,
    ]) {
      const res = await rawRequest(main.url, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'UNSUPPORTED' }] });
    }
    const inside = await rawRequest(main.url, 'GET', '/v2/./valid/./repo/tags/list/../list');
    expect(inside.status).toBe(200);
    expect(JSON.parse(inside.body)).toEqual({ name: 'valid/repo', tags: [] });
  });

  it('answers malformed percent-encoding and control characters with 4xx, never 500', async () => {
    for (const path of [
      '/v2/%E0%A4%A/tags/list',
      '/v2/valid/repo/manifests/%FF',
      `/v2/valid/repo/blobs/%00${DIGEST}`,
      '/v2/valid%00/repo/tags/list',
      '/v2/valid/repo/manifests/%2e%2e%2fx',
    ]) {
      const res = await rawRequest(main.url, 'GET', path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(JSON.parse(res.body), path).toHaveProperty('errors');
    }
  });

  it('stored nothing outside the data directory while being probed', async () => {
    expect(existsSync(resolve(main.dataDir, '..', 'etc'))).toBe(false);
    expect(await main.backend.blobArea.strays()).toEqual([]);
    expect(await main.backend.blobArea.hasBlob(DIGEST)).toBe(true);
  });
});

describe('unknown endpoints and methods under /v2/', () => {
  it.each([
    ['GET', '/v2/valid/repo/nonsense'],
    ['POST', '/v2/valid/repo/manifests/latest'],
    ['PATCH', `/v2/valid/repo/blobs/${DIGEST}`],
    ['PUT', '/v2/valid/repo/tags/list'],
    ['DELETE', '/v2/_catalog'],
  ])('answers %s %s with 404 in the error envelope', async (method, path) => {
    const res = await fetch(`${main.url}${path}`, { method });
    const error = await expectOciError(res, 404, 'UNSUPPORTED');
    expect(error.message).toContain(method);
  });
});
