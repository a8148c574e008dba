/**
 * Issue 9, item 16 (the /v2 part): a probe must not tell "exists but you may not see it" from
 * "does not exist". A signed-in user without rights gets the same 403 DENIED for both (their
 * credentials are valid, so a 401 would only make clients ask for them again, and distribution
 * answers DENIED to a known user lacking access); anonymous callers and bearer tokens get the
 * same 401 challenge for both, as distribution's token authentication and Docker Hub do. Only
 * those who see the whole namespace anyway (its owner, its organization's admins, registry
 * admins) are told that a repository does not exist and how to create it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, apiOk, createOrg, createUser, pushImageAs } from '../helpers/api-client.js';
import { bearer, parseChallenge, tokenFor } from '../helpers/auth-http.js';
import { expectOciError } from '../helpers/registry-http.js';
import { randomBlob } from '../helpers/oci-fixtures.js';

let main: TestMain;
let alice: string;
let bob: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  alice = await createUser(main.url, 'alice');
  bob = await createUser(main.url, 'bob');
  await createOrg(main.url, 'acme');
  await apiOk(main.url, 'PUT', '/accounts/acme/members/alice', 200, { auth: ADMIN, body: { isAdmin: true } });
  await pushImageAs(main.url, alice, 'alice/secret', 'v1');
  await pushImageAs(main.url, alice, 'acme/secret', 'v1');
});
afterAll(async () => {
  await main?.stop();
});

/** The first request of a push: storing a blob in `name`. */
function pushProbe(name: string, authorization?: string): Promise<Response> {
  const blob = randomBlob(32);
  return fetch(`${main.url}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    headers: authorization ? { Authorization: authorization } : {},
    body: blob.bytes,
  });
}

const pullProbe = (name: string, authorization?: string, method = 'GET') =>
  fetch(`${main.url}/v2/${name}/manifests/v1`, {
    method,
    headers: authorization ? { Authorization: authorization } : {},
  });

/** Status, body and challenge with the repository's name taken out: what tells one probe from another. */
async function answer(res: Response, name: string): Promise<unknown> {
  const anonymized = (text: string | null) => text?.split(name).join('<name>') ?? null;
  const challenge = anonymized(res.headers.get('www-authenticate'));
  return { status: res.status, body: anonymized(await res.text()), challenge };
}

const PAIRS: Array<[existing: string, missing: string]> = [
  ['alice/secret', 'alice/missing'],
  ['acme/secret', 'acme/missing'],
];

describe('a push probe by a signed-in user without rights', () => {
  it.each(PAIRS)('answers 403 DENIED alike for %s (private) and %s (missing)', async (existing, missing) => {
    const error = await expectOciError(await pushProbe(missing, bob), 403, 'DENIED');
    expect(error.message).toBe(`bob may not pull/push ${missing}`);
    const probe = async (name: string) => answer(await pushProbe(name, bob), name);
    expect(await probe(existing)).toEqual(await probe(missing));
  });
});

describe('a pull probe by a signed-in user without rights', () => {
  it.each(PAIRS)('answers alike for %s (private) and %s (missing), GET and HEAD', async (existing, missing) => {
    await expectOciError(await pullProbe(missing, bob), 403, 'DENIED');
    for (const method of ['GET', 'HEAD']) {
      const probe = async (name: string) => answer(await pullProbe(name, bob, method), name);
      expect(await probe(existing)).toEqual(await probe(missing));
    }
  });
});

describe('probes without credentials or with a token', () => {
  it.each(PAIRS)('answer the same 401 challenge for %s and %s', async (existing, missing) => {
    for (const probe of [pushProbe, pullProbe]) {
      const res = await probe(missing);
      expect(res.status).toBe(401);
      expect(parseChallenge(res.headers.get('www-authenticate')).scope).toMatch(new RegExp(`^repository:${missing}:`));
      expect(await answer(await probe(existing), existing)).toEqual(await answer(await probe(missing), missing));
    }
  });

  it.each(PAIRS)('answer a token without the scope alike for %s and %s', async (existing, missing) => {
    const probeWithToken = async (name: string) => {
      const token = await tokenFor(main.url, bob, [`repository:${name}:pull,push`]);
      return answer(await pushProbe(name, bearer(token)), name);
    };
    expect(await probeWithToken(existing)).toEqual(await probeWithToken(missing));
  });
});

describe('those who see the namespace anyway', () => {
  it('are told a repository does not exist and how to create it, when creation by push is off', async () => {
    await apiOk(main.url, 'POST', '/meta/settings', 200, { auth: ADMIN, body: { createRepositoryOnPush: false } });
    try {
      for (const [who, name] of [
        [alice, 'alice/fresh'],
        [alice, 'acme/fresh'],
        [ADMIN, 'acme/fresh'],
      ] as const) {
        const error = await expectOciError(await pushProbe(name, who), 404, 'NAME_UNKNOWN');
        expect(error.message).toMatch(/create it first \(POST \/api\/v0\/repositories\/<namespace>\)/);
      }
    } finally {
      await apiOk(main.url, 'POST', '/meta/settings', 200, { auth: ADMIN, body: { createRepositoryOnPush: true } });
    }
  });

  it('still push into their namespaces', async () => {
    expect((await pushProbe('alice/secret', alice)).status).toBe(201);
    expect((await pushProbe('acme/new', alice)).status).toBe(201);
  });
});
