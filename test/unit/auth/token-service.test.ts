import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import { KeyRing } from '../../../src/auth/keys.js';
import { createFileKeyStore } from '../../../main/metadata/lmdb/keys.js';
import { createJwtVerifier } from '../../../src/auth/jwt.js';
import type { AccessEntry } from '../../../src/auth/scope.js';
import { parseScopes } from '../../../src/auth/scope.js';
import { createTokenService } from '../../../main/auth/token-service.js';
import type { AccessControl } from '../../../main/accounts/access-control.js';
import { createLmdbSessionStore, openSessionTables } from '../../../main/metadata/lmdb/sessions.js';
import { openLmdb, type RootDatabase } from '../../../src/store/lmdb.js';
import type { Principal, RepoAction } from '../../../main/accounts/permissions.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const ISSUER = 'http://main.test';
const T0 = Date.UTC(2030, 0, 1);
let clock = T0;
const now = () => clock;

// What each user may do, per repository (what access-control.ts would compute).
const RIGHTS: Record<string, Record<string, RepoAction[]>> = {
  alice: { 'alice/app': ['pull', 'push', 'delete'], 'org/app': ['pull'], 'public/base': ['pull'] },
  anonymous: { 'public/base': ['pull'] },
};
const accessControl: AccessControl = {
  actionsFor: async (p: Principal, name: string) => RIGHTS[p.kind === 'user' ? p.name : 'anonymous']?.[name] ?? [],
  isOrgAdmin: async () => false,
  metaSettings: async () => ({ createRepositoryOnPush: true, anonymousPull: true, scanOnPush: false }),
};

// The users' ids (tokens carry them), as accounts.ts `userId` gives them.
const accountId = async (name: string) => (name === 'alice' ? 'alice-id' : undefined);

const ALICE: Principal = { kind: 'user', name: 'alice', isAdmin: false };
const ANON: Principal = { kind: 'anonymous' };

let temp: TempDir;
let keys: KeyRing;
let tokens: ReturnType<typeof createTokenService>;
let root: RootDatabase;

beforeAll(async () => {
  temp = await createTempDir('outpost-tokens-');
  keys = await KeyRing.open({ store: createFileKeyStore(join(temp.path, 'keys')), now, maxTokenLifetimeMs: 300_000 });
  root = openLmdb({ path: join(temp.path, 'db'), mapSizeBytes: 2 ** 26 });
  tokens = createTokenService({
    keys,
    accessControl,
    store: createLmdbSessionStore(root),
    accountId,
    issuer: ISSUER,
    service: 'outpost',
    tokenLifetimeMs: 300_000,
    refreshTokenLifetimeMs: 86_400_000,
    now,
  });
});
afterAll(async () => {
  await root.close();
  await temp.remove();
});

describe('token service grant: the intersection of what was asked and what is allowed', () => {
  it.each<[string, Principal, string, AccessEntry[]]>([
    [
      'all of what was asked when all is allowed',
      ALICE,
      'repository:alice/app:pull,push',
      [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }],
    ],
    [
      'only the allowed part of what was asked',
      ALICE,
      'repository:org/app:pull,push,delete',
      [{ type: 'repository', name: 'org/app', actions: ['pull'] }],
    ],
    ['nothing for a repository without rights', ALICE, 'repository:bob/secret:pull', []],
    [
      'never more than was asked',
      ALICE,
      'repository:alice/app:pull',
      [{ type: 'repository', name: 'alice/app', actions: ['pull'] }],
    ],
    [
      'everything allowed for *',
      ALICE,
      'repository:alice/app:*',
      [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push', 'delete'] }],
    ],
    [
      'everything allowed for * (and no more)',
      ALICE,
      'repository:org/app:*',
      [{ type: 'repository', name: 'org/app', actions: ['pull'] }],
    ],
    [
      'each scope on its own',
      ALICE,
      'repository:alice/app:push repository:org/app:push repository:public/base:pull',
      [
        { type: 'repository', name: 'alice/app', actions: ['push'] },
        { type: 'repository', name: 'public/base', actions: ['pull'] },
      ],
    ],
    [
      'the catalog to a signed-in user',
      ALICE,
      'registry:catalog:*',
      [{ type: 'registry', name: 'catalog', actions: ['*'] }],
    ],
    ['no catalog to anonymous clients', ANON, 'registry:catalog:*', []],
    [
      'anonymous pulls of public repositories only',
      ANON,
      'repository:public/base:pull,push repository:alice/app:pull',
      [{ type: 'repository', name: 'public/base', actions: ['pull'] }],
    ],
  ])('grants %s', async (_what, principal, scope, expected) => {
    expect(await tokens.grant(principal, parseScopes(scope))).toEqual(expected);
  });
});

describe('token service issue', () => {
  it('signs a token carrying exactly the granted access, for the principal, verifiable with the JWKS', async () => {
    clock = T0;
    const response = await tokens.issue(ALICE, parseScopes('repository:org/app:pull,push'));
    expect(response.token).toBe(response.access_token);
    expect(response.expires_in).toBe(300);
    expect(response.issued_at).toBe(new Date(T0).toISOString());
    expect(response).not.toHaveProperty('refresh_token');
    expect(decodeProtectedHeader(response.token).kid).toBe(keys.signingKey.kid);
    const verifier = createJwtVerifier({
      getKey: (h, t) => createLocalJWKSet(keys.jwks())(h, t),
      issuer: ISSUER,
      audience: 'outpost',
      now,
    });
    const claims = await verifier.verify(response.token);
    expect(claims).toMatchObject({
      sub: 'alice',
      aud: 'outpost',
      iss: ISSUER,
      access: [{ type: 'repository', name: 'org/app', actions: ['pull'] }],
    });
  });

  it('names anonymous clients "anonymous" and never gives them a refresh token', async () => {
    const response = await tokens.issue(ANON, parseScopes('repository:public/base:pull'), { offline: true });
    expect(decodeJwt(response.token).sub).toBe('anonymous');
    expect(response).not.toHaveProperty('refresh_token');
  });

  it('hands out a refresh token on request, stored only as a hash, redeemable until it expires', async () => {
    clock = T0;
    const response = await tokens.issue(ALICE, [], { offline: true });
    const refresh = response.refresh_token!;
    expect(refresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = [...openSessionTables(root).refreshTokens.getRange()];
    expect(stored.map(({ key }) => key)).not.toContain(refresh);
    expect(JSON.stringify(stored)).not.toContain(refresh);
    expect(await tokens.redeemRefreshToken(refresh)).toBe('alice');
    clock = T0 + 86_400_000 + 1;
    await expect(tokens.redeemRefreshToken(refresh)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(tokens.redeemRefreshToken('not-a-refresh-token')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('returns the same refresh token when a refresh token was redeemed', async () => {
    clock = T0;
    const response = await tokens.issue(ALICE, [], { refreshToken: 'the-one-presented' });
    expect(response.refresh_token).toBe('the-one-presented');
  });

  it('signs with a key rotated by another keyring on the same directory from the next token on', async () => {
    clock = T0;
    const cli = await KeyRing.open({
      store: createFileKeyStore(join(temp.path, 'keys')),
      now,
      maxTokenLifetimeMs: 300_000,
    });
    const kid = await cli.rotate();
    const response = await tokens.issue(ALICE, []);
    expect(decodeProtectedHeader(response.token).kid).toBe(kid);
  });
});
