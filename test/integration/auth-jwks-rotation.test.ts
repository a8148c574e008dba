/**
 * Key rotation as the JWKS shows it (main's clock moved forward): a new key is published at once
 * and signs after the pre-publication period (default 60 s); a retired key stays published while
 * any token it signed can still be valid, registry tokens and redirect tokens alike, and tokens
 * it signed keep working on /v2 in the meantime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { basicAuth, bearer, TEST_ADMIN_PASSWORD, tokenFor } from '../helpers/auth-http.js';

let main: TestMain;
let offsetMs = 0;
const now = () => Date.now() + offsetMs;
const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);

beforeAll(async () => {
  // Redirect tokens outlive registry tokens here: the longer lifetime decides.
  main = await startTestMain({
    auth: true,
    now,
    env: { OUTPOST_MAIN_AUTH__TOKEN_LIFETIME: '1m', OUTPOST_MAIN_CACHES__REDIRECT_TOKEN_LIFETIME: '3m' },
  });
});
afterAll(async () => {
  await main.stop();
});

const jwksKids = async () =>
  ((await (await fetch(`${main.url}/auth/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
    (k) => k.kid,
  );

describe('GET /auth/jwks.json across a rotation', () => {
  it('publishes a new key at once, signs with it after 60 s, drops the old one once its tokens expired', async () => {
    const before = await tokenFor(main.url, ADMIN, []);
    const oldKid = decodeProtectedHeader(before).kid!;
    const newKid = await main.service.keys.rotate();
    expect(await jwksKids()).toEqual([oldKid, newKid]);
    // Pre-publication: the old key signs until the new one has been published for 60 s.
    expect(decodeProtectedHeader(await tokenFor(main.url, ADMIN, [])).kid).toBe(oldKid);

    // The registry token signed before the rotation is still valid, and still accepted.
    offsetMs = 30_000;
    expect((await fetch(`${main.url}/v2/`, { headers: { Authorization: bearer(before) } })).status).toBe(200);

    offsetMs = 61_000;
    expect(decodeProtectedHeader(await tokenFor(main.url, ADMIN, [])).kid).toBe(newKid);

    // The old key's last tokens were signed at 60 s: past their registry token lifetime (1m),
    // but within the redirect token lifetime (3m).
    offsetMs = 60_000 + 2 * 60_000;
    expect(await jwksKids()).toEqual([oldKid, newKid]);

    offsetMs = 60_000 + 3 * 60_000 + 1000;
    expect(await jwksKids()).toEqual([newKid]);
  });
});
