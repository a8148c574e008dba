/**
 * Main's public keys at the edge (edge/cache/jwks-cache.ts): fetched at start-up, cached in
 * LMDB so that an edge restarted while main is down still verifies, and refreshed when a token
 * names a key id the edge does not know (a rotation on main): the token waits for the refresh in
 * flight or due, and refreshes happen at most once per `jwksMinRefreshInterval` (5 s).
 */
import { generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/auth/keys.js';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO = 'team/app';

describe('keys cached in LMDB', () => {
  let main: TestMain;
  let data: TempDir;
  const edges: TestEdge[] = [];
  beforeAll(async () => {
    main = await startTestMain();
    data = await createTempDir('outpost-edge-jwks-');
  });
  afterAll(async () => {
    for (const edge of edges) await edge.stop().catch(() => {});
    await main?.stop().catch(() => {});
    await data?.remove();
  });

  it('let an edge restarted while main is down verify tokens and serve what it has', async () => {
    const blob = randomBlob(4096);
    await pushBlob(main.url, REPO, blob);
    const first = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, dataDir: data.path });
    edges.push(first);
    const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
    await (await fetch(edgeBlobUrl(first.url, REPO, blob.digest, token))).arrayBuffer();
    await first.stop();
    await main.stop();

    const restarted = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, dataDir: data.path });
    edges.push(restarted);
    expect(restarted.service.index.getJwks()?.keys).toHaveLength(1);
    const res = await fetch(
      edgeBlobUrl(
        restarted.url,
        REPO,
        blob.digest,
        await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] }),
      ),
    );
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);

    const health = (await (await fetch(`${restarted.url}/health`)).json()) as {
      keys: { keys: number; lastError?: string };
    };
    expect(health.keys.keys).toBe(1);
    expect(health.keys.lastError).toMatch(/./);
  });

  it('are waited for: a new edge with nothing cached starts while main is down, unhealthy, answering 503', async () => {
    // The whole recovery (main back, keys fetched, pulls served) is edge-start-main-down.test.ts.
    const empty = await createTempDir('outpost-edge-nokeys-');
    const edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, dataDir: empty.path });
    try {
      expect((await fetch(`${edge.url}/health`)).status).toBe(503);
      const blob = randomBlob(100);
      const token = await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] });
      await expectOciError(await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token)), 503, 'UNAVAILABLE');
    } finally {
      await edge.stop();
      await empty.remove();
    }
  });
});

describe('a token signed with a key the edge does not know yet', () => {
  let main: TestMain;
  let jwksServer: FakeUpstream;
  let edge: TestEdge;
  let clock = 0;
  let retiredKey: SigningKey;
  const jwksFetches = () => jwksServer.count('GET', '/auth/jwks.json');

  beforeAll(async () => {
    // Main signs with a rotated key at once here (no pre-publication): the edge learns it from the token.
    main = await startTestMain({ env: { OUTPOST_MAIN_AUTH__KEY_PRE_PUBLICATION: '0s' } });
    // Main's keys, served where the test can count the fetches.
    jwksServer = await startFakeUpstream(() => main.service.keys.jwks());
    edge = await startTestEdge({
      name: 'eu',
      upstream: main.url,
      issuer: main.url,
      flags: { jwksUrl: `${jwksServer.url}/auth/jwks.json` },
      now: () => Date.now() + clock,
    });
  });
  afterEach(() => {
    clock = 0;
  });
  afterAll(async () => {
    await edge?.stop();
    await jwksServer?.stop();
    await main?.stop();
  });

  it('makes the edge wait for the next fetch of main keys (due 5 s after the last one), and then verify', async () => {
    expect(jwksFetches()).toBe(1);
    const blob = randomBlob(100);
    await pushBlob(main.url, REPO, blob);
    retiredKey = main.service.keys.signingKey;
    const oldKid = retiredKey.kid;
    const newKid = await main.service.keys.rotate();
    expect(newKid).not.toBe(oldKid);
    const url = async () =>
      edgeBlobUrl(
        edge.url,
        REPO,
        blob.digest,
        await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] }),
      );

    // Right after start-up a refresh is not due yet: the request waits for it instead of failing.
    const res = await fetch(await url());
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
    expect(jwksFetches()).toBe(2);
    const cachedKids = ((edge.service.index.getJwks()?.keys ?? []) as Array<{ kid: string }>).map((k) => k.kid);
    expect(cachedKids).toEqual(expect.arrayContaining([oldKid, newKid]));
  });

  it('still verifies tokens signed with the retired key while main publishes it', async () => {
    const blob = randomBlob(100);
    await pushBlob(main.url, REPO, blob);
    expect(main.service.keys.jwks().keys.map((k) => k.kid)).toContain(retiredKey.kid);
    const token = await issueRedirectToken(retiredKey, {
      issuer: main.url,
      subject: 'alice',
      repository: REPO,
      digest: blob.digest,
      audience: ['eu'],
      lifetimeMs: 60_000,
      now: Date.now(),
    });
    const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, token));
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('does not let a burst of unknown key ids hammer main: one refresh in flight, one due after it', async () => {
    clock = 62_000;
    const before = jwksFetches();
    const blob = randomBlob(100);
    await pushBlob(main.url, REPO, blob);
    const forged = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        const claims = {
          issuer: main.url,
          subject: 'mallory',
          repository: REPO,
          digest: blob.digest,
          audience: ['eu'],
        };
        return issueRedirectToken(
          { kid: `forged-${i}`, privateKey },
          { ...claims, lifetimeMs: 60_000, now: Date.now() },
        );
      }),
    );
    for (const res of await Promise.all(forged.map((t) => fetch(edgeBlobUrl(edge.url, REPO, blob.digest, t))))) {
      await expectOciError(res, 401, 'UNAUTHORIZED');
    }
    expect(jwksFetches()).toBeGreaterThanOrEqual(before + 1);
    expect(jwksFetches()).toBeLessThanOrEqual(before + 2);
  });
});
