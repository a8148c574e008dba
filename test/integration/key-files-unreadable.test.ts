/**
 * The embedded backend's key files (main/metadata/lmdb/keys.ts) that cannot be read for a moment
 * do not take the JWKS away: main answers with the keys it already loaded, and reads the files
 * again once they are back. (On PostgreSQL the key store is the database: its outage is covered
 * by test/services/replicas/postgres-restart.test.ts.) Not among the behaviour suites that also
 * run on PostgreSQL, since it breaks files only the embedded backend has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestMain, type TestMain } from '../helpers/servers.js';

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main.stop();
});

const jwksKids = async () =>
  ((await (await fetch(`${main.url}/auth/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
    (k) => k.kid,
  );

describe('GET /auth/jwks.json while the key files cannot be read', () => {
  it('answers with the keys already loaded, and with the files again once they are back', async () => {
    const kids = await jwksKids();
    const file = join(main.dataDir, 'keys', 'keyring.json');
    // A directory where the keyring file was: its version changes, reading it fails (EISDIR).
    await rename(file, `${file}.aside`);
    await mkdir(file);
    try {
      const res = await fetch(`${main.url}/auth/jwks.json`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toEqual(kids);
    } finally {
      await rm(file, { recursive: true });
      await rename(`${file}.aside`, file);
    }
    expect(await jwksKids()).toEqual(kids);
  });
});
