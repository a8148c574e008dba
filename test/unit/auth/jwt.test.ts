import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, SignJWT, type JWTVerifyGetKey } from 'jose';
import { createJwtVerifier, signJwt, type SignOptions } from '../../../src/auth/jwt.js';
import { KeyRing, type SigningKey } from '../../../src/auth/keys.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { issueRegistryToken } from '../../../src/auth/registry-token.js';
import { TokenError, type TokenErrorCode } from '../../../src/auth/token-errors.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const ISSUER = 'https://main.example';
const LIFETIME_MS = 5 * 60_000;
const T0 = Date.UTC(2030, 0, 1);

let temp: TempDir;
let ring: KeyRing;
let stranger: KeyRing;
let clock = T0;
const now = () => clock;

beforeAll(async () => {
  temp = await createTempDir('outpost-jwt-');
  ring = await KeyRing.open({
    store: createFileKeyStore(join(temp.path, 'main')),
    now,
    maxTokenLifetimeMs: LIFETIME_MS,
  });
  stranger = await KeyRing.open({
    store: createFileKeyStore(join(temp.path, 'other')),
    now,
    maxTokenLifetimeMs: LIFETIME_MS,
  });
});
afterAll(async () => {
  await temp.remove();
});

const options = (over: Partial<SignOptions> = {}): SignOptions => ({
  issuer: ISSUER,
  audience: 'outpost',
  subject: 'alice',
  lifetimeMs: LIFETIME_MS,
  now: T0,
  ...over,
});
const sign = (key: SigningKey = ring.signingKey, over: Partial<SignOptions> = {}) =>
  signJwt(key, { access: [] }, options(over));

/** A verifier over `ring`'s JWKS at the current clock, counting key lookups (cache misses). */
function verifier(audience = 'outpost') {
  let lookups = 0;
  const getKey: JWTVerifyGetKey = (header, token) => {
    lookups++;
    return createLocalJWKSet(ring.jwks())(header, token);
  };
  return { verifier: createJwtVerifier({ getKey, issuer: ISSUER, audience, now }), lookups: () => lookups };
}

async function refusal(promise: Promise<unknown>): Promise<TokenErrorCode> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenError);
  return (err as TokenError).code;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const decode = (segment: string) =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('signJwt', () => {
  it('puts alg, kid and typ in the header and the standard claims in the payload', async () => {
    const token = await sign();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: ring.signingKey.kid, typ: 'JWT' });
    const payload = decode(parts(token)[1]);
    const iat = Math.floor(T0 / 1000);
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: 'outpost',
      sub: 'alice',
      iat,
      nbf: iat - 1,
      exp: iat + LIFETIME_MS / 1000,
      access: [],
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives every token its own jti', async () => {
    expect(decode(parts(await sign())[1]).jti).not.toBe(decode(parts(await sign())[1]).jti);
  });
});

describe('createJwtVerifier', () => {
  it('accepts a token signed by a published key and returns its payload', async () => {
    clock = T0 + 1000;
    const { verifier: v } = verifier();
    const payload = await v.verify(await sign());
    expect(payload).toMatchObject({ sub: 'alice', iss: ISSUER, aud: 'outpost' });
  });

  it('refuses an expired token (OUTPOST_TOKEN_EXPIRED)', async () => {
    const token = await sign();
    clock = T0 + LIFETIME_MS;
    expect(await refusal(verifier().verifier.verify(token))).toBe('OUTPOST_TOKEN_EXPIRED');
  });

  it('refuses a token used before it is valid', async () => {
    const token = await sign(ring.signingKey, { now: T0 + 3_600_000 });
    clock = T0;
    expect(await refusal(verifier().verifier.verify(token))).toBe('OUTPOST_TOKEN_CLAIMS');
  });

  it('refuses a token whose payload was changed after signing (OUTPOST_TOKEN_SIGNATURE)', async () => {
    clock = T0;
    const [header, payload, signature] = parts(await sign());
    const claims = decode(payload);
    const forged = b64url({ ...claims, sub: 'admin', access: [{ type: 'repository', name: 'a', actions: ['*'] }] });
    expect(await refusal(verifier().verifier.verify(`${header}.${forged}.${signature}`))).toBe(
      'OUTPOST_TOKEN_SIGNATURE',
    );
  });

  it('refuses a token whose signature was changed', async () => {
    clock = T0;
    const [header, payload, signature] = parts(await sign());
    const flipped = Buffer.from(signature, 'base64url');
    flipped[0]! ^= 1;
    expect(await refusal(verifier().verifier.verify(`${header}.${payload}.${flipped.toString('base64url')}`))).toBe(
      'OUTPOST_TOKEN_SIGNATURE',
    );
  });

  it('refuses a token signed by a key it does not know (OUTPOST_TOKEN_UNKNOWN_KEY)', async () => {
    clock = T0;
    expect(await refusal(verifier().verifier.verify(await sign(stranger.signingKey)))).toBe(
      'OUTPOST_TOKEN_UNKNOWN_KEY',
    );
  });

  it('refuses a token signed by another key that claims a published kid', async () => {
    clock = T0;
    const forged = await sign({ kid: ring.signingKey.kid, privateKey: stranger.signingKey.privateKey });
    expect(await refusal(verifier().verifier.verify(forged))).toBe('OUTPOST_TOKEN_SIGNATURE');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    clock = T0;
    expect(await refusal(verifier().verifier.verify(await sign(ring.signingKey, { audience: 'other-service' })))).toBe(
      'OUTPOST_TOKEN_CLAIMS',
    );
    expect(await refusal(verifier('edge-1').verifier.verify(await sign()))).toBe('OUTPOST_TOKEN_CLAIMS');
    expect(
      await refusal(verifier().verifier.verify(await sign(ring.signingKey, { issuer: 'https://evil.example' }))),
    ).toBe('OUTPOST_TOKEN_CLAIMS');
  });

  it('refuses a token without an expiry', async () => {
    clock = T0;
    const token = await new SignJWT({ access: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid: ring.signingKey.kid })
      .setIssuer(ISSUER)
      .setAudience('outpost')
      .setSubject('alice')
      .sign(ring.signingKey.privateKey);
    expect(await refusal(verifier().verifier.verify(token))).toBe('OUTPOST_TOKEN_CLAIMS');
  });

  it('refuses an unsigned token (alg none) and another algorithm', async () => {
    clock = T0;
    const [, payload] = parts(await sign());
    const none = `${b64url({ alg: 'none', kid: ring.signingKey.kid })}.${payload}.`;
    expect(await refusal(verifier().verifier.verify(none))).toBe('OUTPOST_TOKEN_MALFORMED');
    const hs = await new SignJWT({ access: [] })
      .setProtectedHeader({ alg: 'HS256', kid: ring.signingKey.kid })
      .setIssuer(ISSUER)
      .setAudience('outpost')
      .setSubject('alice')
      .setExpirationTime(Math.floor(T0 / 1000) + 60)
      .sign(new TextEncoder().encode('a shared secret guessed by an attacker'));
    expect(await refusal(verifier().verifier.verify(hs))).toBe('OUTPOST_TOKEN_MALFORMED');
  });

  it.each(['', 'x', 'a.b', 'a.b.c', 'eyJ9.eyJ9.', '...', `${'a'.repeat(10_000)}.b.c`])(
    'refuses garbage %j as malformed',
    async (token) => {
      expect(await refusal(verifier().verifier.verify(token))).toBe('OUTPOST_TOKEN_MALFORMED');
    },
  );

  describe('verified-token cache', () => {
    it('verifies a token once and answers again from the cache', async () => {
      clock = T0;
      const { verifier: v, lookups } = verifier();
      const token = await sign();
      const first = await v.verify(token);
      expect(await v.verify(token)).toBe(first);
      expect(lookups()).toBe(1);
    });

    it('stops answering from the cache once the token has expired', async () => {
      clock = T0;
      const { verifier: v } = verifier();
      const token = await sign();
      await v.verify(token);
      clock = T0 + LIFETIME_MS + 1000;
      expect(await refusal(v.verify(token))).toBe('OUTPOST_TOKEN_EXPIRED');
    });

    it('never caches a failure, nor a forgery of a cached token', async () => {
      clock = T0;
      const { verifier: v, lookups } = verifier();
      const token = await sign();
      await v.verify(token);
      const [header, payload, signature] = parts(token);
      const forged = `${header}.${b64url({ ...decode(payload), sub: 'admin' })}.${signature}`;
      expect(await refusal(v.verify(forged))).toBe('OUTPOST_TOKEN_SIGNATURE');
      expect(await refusal(v.verify(forged))).toBe('OUTPOST_TOKEN_SIGNATURE');
      expect(lookups()).toBe(3);
    });
  });

  describe('across a key rotation', () => {
    it('keeps verifying tokens of the retired key while it is published; new tokens carry the new kid', async () => {
      const dir = join(temp.path, 'rotating');
      clock = T0;
      const keys = await KeyRing.open({ store: createFileKeyStore(dir), now, maxTokenLifetimeMs: LIFETIME_MS });
      const v = createJwtVerifier({
        getKey: (h, t) => createLocalJWKSet(keys.jwks())(h, t),
        issuer: ISSUER,
        audience: 'outpost',
        now,
      });
      const oldToken = (
        await issueRegistryToken(keys.signingKey, {
          issuer: ISSUER,
          service: 'outpost',
          subject: 'alice',
          access: [],
          lifetimeMs: LIFETIME_MS,
          now: clock,
        })
      ).token;
      const newKid = await keys.rotate();
      const newToken = (
        await issueRegistryToken(keys.signingKey, {
          issuer: ISSUER,
          service: 'outpost',
          subject: 'alice',
          access: [],
          lifetimeMs: LIFETIME_MS,
          now: clock,
        })
      ).token;
      expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
      expect(decodeProtectedHeader(oldToken).kid).not.toBe(newKid);
      clock = T0 + LIFETIME_MS - 1000;
      await expect(v.verify(oldToken)).resolves.toMatchObject({ sub: 'alice' });
      await expect(v.verify(newToken)).resolves.toMatchObject({ sub: 'alice' });
    });
  });
});
