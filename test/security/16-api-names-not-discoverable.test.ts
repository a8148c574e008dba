/**
 * Issue 9, item 16 (the /api/v0 and web part): names cannot be discovered. Anonymous
 * `GET /api/v0/repositories/<ns>` answered 200 for an account and 404 for a made-up name. Now
 * "exists, but you may not see it" and "does not exist" get the same answer, for namespaces,
 * single repositories and their tags and events, repository creation, and the web pages.
 * (The /v2 push probe belongs to the registry routes, tested with them.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, createOrg, createUser, expectApiError } from '../helpers/api-client.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let bob: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  const alice = await createUser(main.url, 'alice');
  bob = await createUser(main.url, 'bob');
  await createOrg(main.url, 'acme');
  await apiOk(main.url, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'secret' } });
  await apiOk(main.url, 'POST', '/repositories/acme', 201, { auth: ADMIN, body: { name: 'hidden' } });
});
afterAll(async () => {
  await main.stop();
});

/** Status and body of an API call, with `name` replaced so two answers can be compared. */
async function answer(method: string, path: string, auth: string | undefined, name: string) {
  const res = await api(main.url, method, path, {
    ...(auth !== undefined && { auth }),
    ...(method === 'POST' && { body: { name: 'x' } }),
  });
  return { status: res.status, body: (await res.text()).replaceAll(name, '<name>') };
}

describe('GET /api/v0/repositories/<namespace>', () => {
  it('answers an existing user, an organization and a made-up name alike to anonymous callers', async () => {
    const ghost = await apiOk(main.url, 'GET', '/repositories/ghost', 200);
    expect(ghost).toEqual({ repositories: [] });
    expect(await apiOk(main.url, 'GET', '/repositories/alice', 200)).toEqual(ghost);
    expect(await apiOk(main.url, 'GET', '/repositories/acme', 200)).toEqual(ghost);
  });

  it('answers them alike to a signed-in user who may see nothing there', async () => {
    expect(await apiOk(main.url, 'GET', '/repositories/alice', 200, { auth: bob })).toEqual({ repositories: [] });
    expect(await apiOk(main.url, 'GET', '/repositories/ghost', 200, { auth: bob })).toEqual({ repositories: [] });
  });

  it('still lists what the caller may see', async () => {
    type Listing = { repositories: Array<{ fullName: string }> };
    const { repositories } = await apiOk<Listing>(main.url, 'GET', '/repositories/alice', 200, { auth: ADMIN });
    expect(repositories.map((r) => r.fullName)).toEqual(['alice/secret']);
  });
});

describe('a single repository, its tags and its events', () => {
  it('answer 404 NOT_FOUND alike for a private repository and one that does not exist', async () => {
    for (const auth of [undefined, bob]) {
      for (const suffix of ['', '/tags', '/events']) {
        const secret = await answer('GET', `/repositories/alice/secret${suffix}`, auth, 'alice/secret');
        expect(secret.status).toBe(404);
        expect(await answer('GET', `/repositories/alice/nothing${suffix}`, auth, 'alice/nothing')).toEqual(secret);
        expect(await answer('GET', `/repositories/ghost/nothing${suffix}`, auth, 'ghost/nothing')).toEqual(secret);
      }
    }
    const hidden = await api(main.url, 'GET', '/repositories/acme/hidden', { auth: bob });
    await expectApiError(hidden, 404, 'NOT_FOUND', /repository "acme\/hidden" does not exist/);
  });
});

describe('POST /api/v0/repositories/<namespace>', () => {
  it("answers 403 NO_PERMISSION alike for someone else's namespace and a made-up one", async () => {
    const alice = await answer('POST', '/repositories/alice', bob, 'alice');
    expect(alice.status).toBe(403);
    expect(await answer('POST', '/repositories/ghost', bob, 'ghost')).toEqual(alice);
    expect(await answer('POST', '/repositories/acme', bob, 'acme')).toEqual(alice);
  });

  it('tells administrators that a namespace is no account', async () => {
    const res = await api(main.url, 'POST', '/repositories/ghost', { auth: ADMIN, body: { name: 'x' } });
    await expectApiError(res, 404, 'NOT_FOUND', /namespace "ghost" is not a user/);
  });
});

describe('the web repository pages', () => {
  it('list an existing namespace and a made-up one alike', async () => {
    const web = new WebClient(main.url);
    const alice = await web.get('/repositories?namespace=alice');
    const ghost = await web.get('/repositories?namespace=ghost');
    expect(alice.status).toBe(200);
    expect(ghost.status).toBe(200);
    expect(textOf(ghost.html).replaceAll('ghost', '<name>')).toBe(textOf(alice.html).replaceAll('alice', '<name>'));
  });

  it('answer the same 404 page for a private repository and one that does not exist', async () => {
    const web = new WebClient(main.url);
    const secret = await web.get('/repositories/alice/secret');
    const none = await web.get('/repositories/alice/nothing');
    expect(secret.status).toBe(404);
    expect(none.status).toBe(404);
    expect(textOf(none.html)).toBe(textOf(secret.html));
  });
});
