/**
 * Issue 9, item 12: a `last` (or `/api/v0` `pageStart`) cursor longer than any item could be
 * reached LMDB, whose keys have a size limit, and came back as a 500 with a stack trace. A
 * cursor is an item of the list, so one longer than any item is refused first with a 400 in
 * the surface's own error format; cursors up to the longest item still page as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, expectApiError, pushImageAs } from '../helpers/api-client.js';
import { expectOciError } from '../helpers/registry-http.js';

let main: TestMain;
const NAME = 'acme/app';
// Past the buffer lmdb-js encodes keys into (it threw "String does not fit in target buffer").
const LONG = 'z'.repeat(10_000);

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  await pushImageAs(main.url, ADMIN, NAME, 'v1');
});
afterAll(async () => {
  await main?.stop();
});

const get = (path: string) => fetch(`${main.url}${path}`, { headers: { Authorization: ADMIN } });

describe('GET /v2/<name>/tags/list?last=', () => {
  it('answers 400 PAGINATION_NUMBER_INVALID for a last longer than a tag can be (128)', async () => {
    for (const last of [LONG, 'a'.repeat(129)]) {
      const res = await get(`/v2/${NAME}/tags/list?n=10&last=${last}`);
      const error = await expectOciError(res, 400, 'PAGINATION_NUMBER_INVALID');
      expect(error.message).toBe('last must be a tag of at most 128 characters');
      expect(error.detail).toEqual({ lastLength: last.length });
    }
  });

  it('pages after a last of 128 characters as before', async () => {
    const res = await get(`/v2/${NAME}/tags/list?last=${'a'.repeat(128)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: NAME, tags: ['v1'] });
  });
});

describe('GET /v2/_catalog?last=', () => {
  it('answers 400 PAGINATION_NUMBER_INVALID for a last longer than a repository name can be (255)', async () => {
    for (const last of [LONG, 'a'.repeat(256)]) {
      const error = await expectOciError(await get(`/v2/_catalog?last=${last}`), 400, 'PAGINATION_NUMBER_INVALID');
      expect(error.message).toBe('last must be a repository name of at most 255 characters');
    }
  });

  it('pages after a last of 255 characters as before', async () => {
    const res = await get(`/v2/_catalog?last=${'a'.repeat(255)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ repositories: [NAME] });
  });
});

describe('GET /v2/<name>/referrers/<digest>?artifactType=', () => {
  it('answers 200 with an empty index for a long artifactType (a filter, never a key)', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const res = await get(`/v2/${NAME}/referrers/${digest}?artifactType=${LONG}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ manifests: [] });
  });
});

describe('long names in paths', () => {
  it('are refused before routing (414 outside /v2, see 02-long-paths), never a 500', async () => {
    const paths = [`/api/v0/repositories/${LONG}`, `/api/v0/repositories/acme/${LONG}/tags`, `/repositories/${LONG}`];
    for (const path of paths) {
      const res = await get(path);
      expect(res.status, path).toBe(414);
    }
  });
});

describe('GET /api/v0 listings with ?pageStart=', () => {
  it('answers 400 INVALID_INPUT for a pageStart longer than a repository name or tag can be', async () => {
    for (const path of ['/repositories', '/repositories/acme', `/repositories/${NAME}/tags`]) {
      const res = await api(main.url, 'GET', `${path}?pageStart=${LONG}`, { auth: ADMIN });
      await expectApiError(res, 400, 'INVALID_INPUT', /^pageStart must be at most 255 characters$/);
    }
  });

  it('pages after a pageStart of 255 characters as before', async () => {
    const res = await api(main.url, 'GET', `/repositories/${NAME}/tags?pageStart=${'a'.repeat(255)}`, { auth: ADMIN });
    expect(res.status, await res.text()).toBe(200);
  });
});
