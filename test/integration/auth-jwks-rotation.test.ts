/**
 * Key rotation as the JWKS shows it (main's clock moved forward): a new key is published at once
 * and signs after the pre-publication period (default 60 s); a retired key stays published while
 * any token it signed can still be valid, registry tokens and redirect tokens alike, and tokens
 * it signed keep working on /v2 in the meantime. A key store that cannot be read for a moment
 * does not take the JWKS away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
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

/**
 * Makes main's key store unreadable until the returned function puts it back: on LMDB a directory
 * where the keyring file was (its version changes, reading it fails with EISDIR); on PostgreSQL
 * the keys' table renamed aside (reading it fails: no such relation).
 */
async function breakKeyStore(): Promise<() => Promise<void>> {
  const database = main.backend.flags.database;
  if (database === undefined) {
    const file = join(main.dataDir, 'keys', 'keyring.json');
    await rename(file, `${file}.aside`);
    await mkdir(file);
    return async () => {
      await rm(file, { recursive: true });
      await rename(`${file}.aside`, file);
    };
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  await client.query('ALTER TABLE outpost_signing_keys RENAME TO outpost_signing_keys_aside');
  return async () => {
    try {
      await client.query('ALTER TABLE outpost_signing_keys_aside RENAME TO outpost_signing_keys');
    } finally {
      await client.end();
    }
  };
}

describe('GET /auth/jwks.json while the key store cannot be read', () => {
  it('answers with the keys already loaded, and with the store again once it is back', async () => {
    const kids = await jwksKids();
    const restore = await breakKeyStore();
    try {
      const res = await fetch(`${main.url}/auth/jwks.json`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toEqual(kids);
    } finally {
      await restore();
    }
    expect(await jwksKids()).toEqual(kids);
  });
});
