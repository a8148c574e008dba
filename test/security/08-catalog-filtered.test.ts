/**
 * Issue 9, item 8: `/v2/_catalog` lists only the repositories the caller may pull, so private
 * names stay private; pagination (`n`, `last`, `Link`) works on what the caller sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, createUser, pushImageAs } from '../helpers/api-client.js';
import { bearer, makePublic, tokenFor } from '../helpers/auth-http.js';

let main: TestMain;
let alice: string;
let bob: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  alice = await createUser(main.url, 'alice');
  bob = await createUser(main.url, 'bob');
  await pushImageAs(main.url, alice, 'alice/secret', 'v1');
  await pushImageAs(main.url, alice, 'alice/open', 'v1');
  await makePublic(main.url, 'alice/open', ADMIN);
  await pushImageAs(main.url, bob, 'bob/mine', 'v1');
});
afterAll(async () => {
  await main?.stop();
});

async function catalog(authorization: string, query = ''): Promise<{ repositories: string[]; link: string | null }> {
  const res = await fetch(`${main.url}/v2/_catalog${query}`, { headers: { Authorization: authorization } });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { ...(JSON.parse(text) as { repositories: string[] }), link: res.headers.get('link') };
}

describe('GET /v2/_catalog', () => {
  it('leaves out private repositories the caller may not pull (Basic credentials)', async () => {
    expect((await catalog(bob)).repositories).toEqual(['alice/open', 'bob/mine']);
    expect((await catalog(alice)).repositories).toEqual(['alice/open', 'alice/secret']);
  });

  it("leaves them out for a bearer token too: the token allows the catalog, the user's rights filter it", async () => {
    const token = await tokenFor(main.url, bob, ['registry:catalog:*']);
    expect((await catalog(bearer(token))).repositories).toEqual(['alice/open', 'bob/mine']);
  });

  it('lists every repository to an administrator', async () => {
    expect((await catalog(ADMIN)).repositories).toEqual(['alice/open', 'alice/secret', 'bob/mine']);
  });

  it('pages through what the caller sees, with a Link only while more follow', async () => {
    const first = await catalog(bob, '?n=1');
    expect(first.repositories).toEqual(['alice/open']);
    expect(first.link).toBe('</v2/_catalog?n=1&last=alice%2Fopen>; rel="next"');
    const second = await catalog(bob, '?n=1&last=alice%2Fopen');
    expect(second).toEqual({ repositories: ['bob/mine'], link: null });
  });

  it('reveals nothing after a private name given as last', async () => {
    expect((await catalog(bob, '?last=alice%2Fsecret')).repositories).toEqual(['bob/mine']);
  });

  it('still challenges anonymous callers', async () => {
    const res = await fetch(`${main.url}/v2/_catalog`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/scope="registry:catalog:\*"/);
  });
});
