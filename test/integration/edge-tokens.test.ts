/**
 * Redirect tokens at the edge (DESIGN 3.3, 3.4; edge/redirect-auth.ts): verified offline against
 * main's keys. Expired, forged or unreadable tokens get 401 UNAUTHORIZED; a genuine token for
 * another cache, repository or blob gets 403 DENIED. The token in the query wins over an
 * Authorization header; a Bearer header alone is how a downstream edge asks. No token is logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, type SigningKey } from '../../src/auth/keys.js';
import { createFileKeyStore } from '../../main/metadata/lmdb/keys.js';
import { signJwt } from '../../src/auth/jwt.js';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { createLogger } from '../../src/log/logger.js';
import { basicAuth, startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readMetric, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO = 'team/app';

let main: TestMain;
let edge: TestEdge;
let otherKeys: TempDir;
let otherKey: SigningKey;
let blob: Blob;
const logLines: string[] = [];
const issued: string[] = [];

beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    logger: createLogger({ level: 'debug', write: (line) => void logLines.push(line) }),
  });
  otherKeys = await createTempDir('outpost-other-keys-');
  otherKey = (await KeyRing.open({ store: createFileKeyStore(otherKeys.path), maxTokenLifetimeMs: 3_600_000 }))
    .signingKey;
  blob = randomBlob(1000);
  await pushBlob(main.url, REPO, blob);
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
  await otherKeys?.remove();
});

/** A redirect token as main would sign it, with `change` applied; remembered for the log check. */
async function token(
  change: {
    key?: SigningKey;
    issuer?: string;
    audience?: string[];
    repository?: string;
    digest?: string;
    now?: number;
    lifetimeMs?: number;
  } = {},
): Promise<string> {
  const signed = await issueRedirectToken(change.key ?? main.service.keys.signingKey, {
    issuer: change.issuer ?? main.url,
    subject: 'alice',
    repository: change.repository ?? REPO,
    digest: change.digest ?? blob.digest,
    audience: change.audience ?? ['eu'],
    lifetimeMs: change.lifetimeMs ?? 120_000,
    now: change.now ?? Date.now(),
  });
  issued.push(signed);
  return signed;
}

const get = (t: string, init?: RequestInit) => fetch(edgeBlobUrl(edge.url, REPO, blob.digest, t), init);

describe('redirect tokens the edge accepts', () => {
  it('serves the blob for a token naming this cache, the repository and the digest', async () => {
    const res = await get(await token());
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });

  it('accepts a token whose audience is a chain with this cache further up', async () => {
    const res = await get(await token({ audience: ['asia', 'eu'] }));
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});

describe('redirect tokens the edge refuses with 401 UNAUTHORIZED', () => {
  it('no token at all', async () => {
    await expectOciError(await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`), 401, 'UNAUTHORIZED');
  });

  it('an expired token', async () => {
    await expectOciError(await get(await token({ now: Date.now() - 10 * 60_000 })), 401, 'UNAUTHORIZED');
  });

  it('a token forged with another key (unknown key id)', async () => {
    await expectOciError(await get(await token({ key: otherKey })), 401, 'UNAUTHORIZED');
  });

  it("a token forged with another key under main's key id (bad signature)", async () => {
    const forged = await token({ key: { kid: main.service.keys.signingKey.kid, privateKey: otherKey.privateKey } });
    await expectOciError(await get(forged), 401, 'UNAUTHORIZED');
  });

  it('a token that is not a JWT, and a token whose signature was tampered with', async () => {
    await expectOciError(await get('not-a-token'), 401, 'UNAUTHORIZED');
    const good = await token();
    const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expectOciError(await get(tampered), 401, 'UNAUTHORIZED');
  });

  it('a malformed Authorization header and no token in the query', async () => {
    const res = await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`, {
      headers: { Authorization: 'Bearer not a token' },
    });
    await expectOciError(res, 401, 'UNAUTHORIZED');
  });

  it('an expired token on HEAD as well', async () => {
    const res = await get(await token({ now: Date.now() - 10 * 60_000 }), { method: 'HEAD' });
    expect(res.status).toBe(401);
  });
});

describe('redirect tokens the edge refuses with 403 DENIED', () => {
  it('a token for another cache (wrong audience)', async () => {
    await expectOciError(await get(await token({ audience: ['asia'] })), 403, 'DENIED');
  });

  it('a token for another blob (wrong digest)', async () => {
    await expectOciError(await get(await token({ digest: randomBlob(10).digest })), 403, 'DENIED');
  });

  it('a token for another repository (wrong repository)', async () => {
    await expectOciError(await get(await token({ repository: 'team/other' })), 403, 'DENIED');
  });

  it('a token from another issuer signed with a trusted key', async () => {
    await expectOciError(await get(await token({ issuer: 'https://elsewhere.example' })), 403, 'DENIED');
  });

  it("a JWT main signed for another use (no redirect marker), even with this cache's name in aud", async () => {
    const registryLike = await signJwt(
      main.service.keys.signingKey,
      { access: [{ type: 'repository', name: REPO, actions: ['pull'] }] },
      {
        issuer: main.url,
        audience: ['eu'],
        subject: 'alice',
        lifetimeMs: 60_000,
        now: Date.now(),
      },
    );
    issued.push(registryLike);
    await expectOciError(await get(registryLike), 403, 'DENIED');
  });

  it('counts every refusal as result="denied"', async () => {
    const before = await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="denied"}');
    await (await get(await token({ audience: ['asia'] }))).arrayBuffer();
    await (await get('garbage')).arrayBuffer();
    expect(await readMetric(edge.url, 'outpost_edge_blob_requests_total{result="denied"}')).toBe(before + 2);
  });
});

describe('where the token is taken from', () => {
  it('the query token wins over an Authorization header that carries something else', async () => {
    const good = await token();
    const userRegistryToken = await token({ audience: ['registry'] });
    for (const authorization of [`Bearer ${userRegistryToken}`, basicAuth('alice', 'secret'), 'Bearer garbage']) {
      const res = await get(good, { headers: { Authorization: authorization } });
      expect(res.status, authorization).toBe(200);
      await res.arrayBuffer();
    }
  });

  it('the query token is the one judged: a bad query token is refused even with a good Bearer header', async () => {
    const res = await get(await token({ digest: randomBlob(10).digest }), {
      headers: { Authorization: `Bearer ${await token()}` },
    });
    await expectOciError(res, 403, 'DENIED');
  });

  it('a Bearer header works without a query token, as a downstream edge sends it', async () => {
    const res = await fetch(`${edge.url}/v2/${REPO}/blobs/${blob.digest}`, {
      headers: { Authorization: `Bearer ${await token()}` },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
  });
});

describe('logs', () => {
  it('never contain a token, accepted or refused', () => {
    expect(issued.length).toBeGreaterThan(10);
    const all = logLines.join('');
    for (const t of issued) {
      // The signature part alone is what makes a token usable.
      expect(all).not.toContain(t.split('.')[2]);
    }
  });
});
