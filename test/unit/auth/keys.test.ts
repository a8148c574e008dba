import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { KeyRing } from '../../../src/auth/keys.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const LIFETIME_MS = 5 * 60_000;
let temp: TempDir;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  temp = await createTempDir('outpost-keys-');
  clock = Date.UTC(2030, 0, 1);
});
afterEach(async () => {
  await temp.remove();
});

const open = (dir = join(temp.path, 'keys')) =>
  KeyRing.open({ store: createFileKeyStore(dir), now, maxTokenLifetimeMs: LIFETIME_MS });
const kids = (ring: KeyRing) => ring.jwks().keys.map((k) => k.kid);

describe('KeyRing.open', () => {
  it('creates a first key, private files readable by the owner only', async () => {
    const dir = join(temp.path, 'keys');
    const ring = await open(dir);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`${ring.signingKey.kid}.pem`, 'keyring.json'].sort());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const file of files) expect((await stat(join(dir, file))).mode & 0o777, file).toBe(0o600);
    expect(await readFile(join(dir, `${ring.signingKey.kid}.pem`), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('puts the signing key in the JWKS under its kid, the RFC 7638 thumbprint, without the private part', async () => {
    const ring = await open();
    const { keys } = ring.jwks();
    expect(keys).toHaveLength(1);
    const [jwk] = keys as [NonNullable<(typeof keys)[0]>];
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: ring.signingKey.kid });
    expect(jwk).not.toHaveProperty('d');
    expect(await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x })).toBe(jwk.kid);
  });

  it('opens the same key again on the next start', async () => {
    const first = await open();
    const second = await open();
    expect(second.signingKey.kid).toBe(first.signingKey.kid);
    expect(second.jwks()).toEqual(first.jwks());
  });
});

describe('KeyRing.rotate', () => {
  it('signs with the new key and keeps the old one published', async () => {
    const ring = await open();
    const old = ring.signingKey.kid;
    const fresh = await ring.rotate();
    expect(fresh).not.toBe(old);
    expect(ring.signingKey.kid).toBe(fresh);
    expect(kids(ring)).toEqual([old, fresh]);
  });

  it('drops the old key from the JWKS once every token it signed expired (retiredAt + maxTokenLifetime)', async () => {
    const ring = await open();
    const old = ring.signingKey.kid;
    const retiredAt = clock;
    const fresh = await ring.rotate();
    clock = retiredAt + LIFETIME_MS - 1;
    expect(kids(ring)).toEqual([old, fresh]);
    clock = retiredAt + LIFETIME_MS;
    expect(kids(ring)).toEqual([fresh]);
  });

  it('keeps each retired key for its own lifetime across several rotations', async () => {
    const ring = await open();
    const k1 = ring.signingKey.kid;
    const k2 = await ring.rotate();
    clock += 60_000;
    const k3 = await ring.rotate();
    expect(kids(ring)).toEqual([k1, k2, k3]);
    clock += LIFETIME_MS - 60_000;
    expect(kids(ring)).toEqual([k2, k3]);
    clock += 60_000;
    expect(kids(ring)).toEqual([k3]);
  });

  it('signs with each new key at once, however quickly rotations follow each other', async () => {
    const ring = await open();
    const all = [ring.signingKey.kid];
    for (let i = 0; i < 20; i++) {
      const kid = await ring.rotate();
      all.push(kid);
      expect(ring.signingKey.kid).toBe(kid);
    }
    expect(kids(ring)).toEqual(all);
  });

  it('writes the new private key with mode 0600', async () => {
    const dir = join(temp.path, 'keys');
    const ring = await open(dir);
    const kid = await ring.rotate();
    expect((await stat(join(dir, `${kid}.pem`))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keyring.json'))).mode & 0o777).toBe(0o600);
  });
});

describe('KeyRing.reload', () => {
  it('picks up a rotation done by another instance on the same directory (another process)', async () => {
    const running = await open();
    const cli = await open();
    const old = running.signingKey.kid;
    const fresh = await cli.rotate();
    expect(running.signingKey.kid).toBe(old);
    await running.reload();
    expect(running.signingKey.kid).toBe(fresh);
    expect(kids(running)).toEqual([old, fresh]);
  });

  it('sees every rotation by the other instance, even in quick succession', async () => {
    const running = await open();
    const cli = await open();
    for (let i = 0; i < 20; i++) {
      const kid = await cli.rotate();
      await running.reload();
      expect(running.signingKey.kid).toBe(kid);
    }
    expect(kids(running)).toEqual(kids(cli));
  });

  it('keeps the keys another instance added when it rotates itself', async () => {
    const a = await open();
    const b = await open();
    for (let i = 0; i < 10; i++) {
      await b.rotate();
      await a.rotate();
    }
    await b.reload();
    expect(kids(a)).toHaveLength(21);
    expect(kids(b)).toEqual(kids(a));
  });

  it('does nothing when the keyring file did not change', async () => {
    const dir = join(temp.path, 'keys');
    const ring = await open(dir);
    const before = ring.jwks();
    await ring.reload();
    expect(ring.jwks()).toEqual(before);
  });

  it('lets the other instance rotate on top of this one (nothing lost when both rotate in turn)', async () => {
    const a = await open();
    const b = await open();
    const k1 = a.signingKey.kid;
    const k2 = await b.rotate();
    const k3 = await a.rotate();
    await b.reload();
    expect(kids(a)).toEqual([k1, k2, k3]);
    expect(kids(b)).toEqual([k1, k2, k3]);
  });
});

describe('KeyRing with a pre-publication period (auth.keyPrePublication)', () => {
  const PRE_MS = 60_000;
  const openPre = (dir = join(temp.path, 'keys')) =>
    KeyRing.open({ store: createFileKeyStore(dir), now, maxTokenLifetimeMs: LIFETIME_MS, prePublishMs: PRE_MS });

  it('signs with a first key at once: nobody knows any key yet', async () => {
    const ring = await openPre();
    expect(ring.signingKey.kid).toBe(kids(ring)[0]);
  });

  it('publishes a rotated key at once, but signs with it only once published for the period', async () => {
    const ring = await openPre();
    const old = ring.signingKey.kid;
    const fresh = await ring.rotate();
    expect(kids(ring)).toEqual([old, fresh]);
    expect(ring.newestKid).toBe(fresh);
    clock += PRE_MS - 1;
    expect(ring.signingKey.kid).toBe(old);
    clock += 1;
    expect(ring.signingKey.kid).toBe(fresh);
  });

  it('skips a key rotated in again before it ever signed: the newest key old enough signs', async () => {
    const ring = await openPre();
    const k1 = ring.signingKey.kid;
    const k2 = await ring.rotate();
    clock += 10_000;
    const k3 = await ring.rotate();
    expect(ring.signingKey.kid).toBe(k1);
    clock += PRE_MS - 10_000;
    expect(ring.signingKey.kid).toBe(k2);
    clock += 10_000;
    expect(ring.signingKey.kid).toBe(k3);
  });

  it('keeps the retired key published until the last token it may have signed has expired', async () => {
    const ring = await openPre();
    const old = ring.signingKey.kid;
    const retiredAt = clock;
    const fresh = await ring.rotate();
    // The old key signs until retiredAt + PRE_MS; those tokens live LIFETIME_MS more.
    clock = retiredAt + PRE_MS + LIFETIME_MS - 1;
    expect(kids(ring)).toEqual([old, fresh]);
    clock += 1;
    expect(kids(ring)).toEqual([fresh]);
  });
});
