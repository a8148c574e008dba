/**
 * A chain asia -> eu -> main whose middle fails (issue 11, section 3): asia fetches its misses
 * from main instead, with the same redirect token (main accepts it from any cache of the token's
 * chain), verifies and keeps them, logs the fallback at info once per failure episode, counts it
 * in outpost_edge_upstream_fallbacks_total, and goes back to eu once eu answers again. Only a
 * failure of eu moves a miss to main (refused, reset, timed out, 5xx); eu's answers (404, a
 * refused token) are passed on, and main still checks the token it is brought.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { basicAuth, startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { expectOciError } from '../helpers/registry-http.js';
import { startFakeUpstream } from '../helpers/fake-upstream.js';
import { mainMetric } from '../helpers/redirect.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const REPO = 'team/app';
const FALLBACKS = 'outpost_edge_upstream_fallbacks_total';
const MAIN_SERVED_TOKEN = 'outpost_main_cache_fetches_total{kind="miss"}';
const FELL_BACK = /"level":"info","msg":"upstream cache failed: misses are fetched from main/g;

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main?.stop();
});

async function pushed(size: number): Promise<Blob> {
  const blob = randomBlob(size);
  const res = await fetch(`${main.url}/v2/${REPO}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    body: blob.bytes,
    headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) },
  });
  expect(res.status).toBe(201);
  return blob;
}

/** A redirect token as main hands out for asia (its chain: asia, then eu), for the active admin. */
const tokenFor = (blob: Blob, audience = ['asia', 'eu'], subject = 'admin') =>
  signRedirectToken(main, { repository: REPO, digest: blob.digest, audience, subject });

/** Pulls `blob` from `edge` and checks it whole, with its digest. */
async function expectPulled(edge: TestEdge, blob: Blob): Promise<void> {
  const res = await fetch(edgeBlobUrl(edge.url, REPO, blob.digest, await tokenFor(blob)));
  expect(res.status).toBe(200);
  expect(res.headers.get('docker-content-digest')).toBe(blob.digest);
  const body = await readBody(res);
  expect(body.error).toBeUndefined();
  expect(body.bytes.equals(blob.bytes)).toBe(true);
  expect(edge.service.cache.has(blob.digest as never)).toBe(true);
}

describe('a chain asia -> eu -> main whose middle is killed', () => {
  let euData: TempDir;
  let eu: TestEdge | undefined;
  let euUrl: string;
  let asia: TestEdge;
  let asiaLogs = '';
  // asia's clock runs ahead by this much (to pass the 10 s before a failed eu is asked again).
  let aheadMs = 0;
  const startEu = (listen = '127.0.0.1:0') =>
    startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, dataDir: euData.path, flags: { listen } });

  beforeAll(async () => {
    euData = await createTempDir('outpost-edge-eu-');
    eu = await startEu();
    euUrl = eu.url;
    asia = await startTestEdge({
      name: 'asia',
      upstream: euUrl,
      issuer: main.url,
      logger: createLogger({ write: (line) => void (asiaLogs += line) }),
      now: () => Date.now() + aheadMs,
    });
  });
  afterAll(async () => {
    await asia?.stop();
    await eu?.stop();
    await euData?.remove();
  });

  const asiaHealth = async () => ((await (await fetch(`${asia.url}/health`)).json()) as { upstream: unknown }).upstream;

  it('pulls through eu while eu is up', async () => {
    const blob = await pushed(200_000);
    await expectPulled(asia, blob);
    expect(eu!.service.cache.has(blob.digest as never)).toBe(true);
    expect(await readMetric(asia.url, FALLBACKS)).toBe(0);
  });

  it('fetches a miss from main once eu is killed: the pull succeeds with the verified blob, kept at asia', async () => {
    await eu!.stop();
    eu = undefined;
    const blob = await pushed(3 * 1024 * 1024);
    const servedByMain = await mainMetric(main, MAIN_SERVED_TOKEN);
    await expectPulled(asia, blob);
    expect(await mainMetric(main, MAIN_SERVED_TOKEN)).toBe(servedByMain + 1);
    expect(await readMetric(asia.url, FALLBACKS)).toBe(1);
    expect(asiaLogs.match(FELL_BACK)).toHaveLength(1);
    expect(asiaLogs).toMatch(new RegExp(`"cache":"${euUrl}","main":"${main.url}"`));
  });

  it('answers HEAD of a miss from main too, and logs the failure once however many misses fall back', async () => {
    const blob = await pushed(5000);
    const head = await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, await tokenFor(blob)), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5000');
    await expectPulled(asia, await pushed(70_000));
    expect(await readMetric(asia.url, FALLBACKS)).toBe(3);
    expect(asiaLogs.match(FELL_BACK)).toHaveLength(1);
    expect(asiaLogs).not.toMatch(/"level":"(warn|error)","msg":"upstream cache/);
    expect(await asiaHealth()).toEqual({ url: euUrl, reachable: false, fallingBackToMain: true });
  });

  it("keeps main's own checks: the token of a user removed since is refused (403 DENIED), nothing kept", async () => {
    await main.service.accounts.createUser({ name: 'gone', password: 'fallback-test-password' });
    const blob = await pushed(1000);
    const token = await tokenFor(blob, ['asia', 'eu'], 'gone');
    await main.service.accounts.removeUser('gone');
    await expectOciError(await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, token)), 403, 'DENIED');
    expect(asia.service.cache.has(blob.digest as never)).toBe(false);
  });

  it('asks eu again 10 s after its last failure, and goes back to it once it answers', async () => {
    eu = await startEu(new URL(euUrl).host);
    expect(eu.url).toBe(euUrl);
    aheadMs += 10_000;
    const fallbacks = await readMetric(asia.url, FALLBACKS);
    const blob = await pushed(100_000);
    await expectPulled(asia, blob);
    expect(eu.service.cache.has(blob.digest as never)).toBe(true);
    expect(await readMetric(asia.url, FALLBACKS)).toBe(fallbacks);
    expect(asiaLogs).toMatch(/"level":"info","msg":"upstream cache answers again: misses go to it"/);
    expect(await asiaHealth()).toEqual({ url: euUrl, reachable: true });
  });

  it("passes on eu's refusal of a token that does not name eu (403 DENIED) without asking main", async () => {
    const blob = await pushed(100);
    const servedByMain = await mainMetric(main, MAIN_SERVED_TOKEN);
    const fallbacks = await readMetric(asia.url, FALLBACKS);
    const res = await fetch(edgeBlobUrl(asia.url, REPO, blob.digest, await tokenFor(blob, ['asia'])));
    await expectOciError(res, 403, 'DENIED');
    expect(await mainMetric(main, MAIN_SERVED_TOKEN)).toBe(servedByMain);
    expect(await readMetric(asia.url, FALLBACKS)).toBe(fallbacks);
  });

  it("passes on eu's 404 for a blob main does not have, without asking main a second time", async () => {
    const never = randomBlob(100);
    const fallbacks = await readMetric(asia.url, FALLBACKS);
    const res = await fetch(edgeBlobUrl(asia.url, REPO, never.digest, await tokenFor(never)));
    await expectOciError(res, 404, 'BLOB_UNKNOWN');
    expect(await readMetric(asia.url, FALLBACKS)).toBe(fallbacks);
  });
});

describe('a middle that fails without dying', () => {
  const started: TestEdge[] = [];
  afterAll(async () => {
    for (const edge of started.reverse()) await edge.stop();
  });
  async function asiaOver(upstream: string, env: Record<string, string> = {}): Promise<TestEdge> {
    const edge = await startTestEdge({ name: 'asia', upstream, issuer: main.url, env });
    started.push(edge);
    return edge;
  }

  it('falls back to main when eu answers 5xx', async () => {
    // A stand-in for a broken middle: answers 502 to every blob request.
    const failing = await startFakeUpstream(() => main.service.keys.jwks());
    try {
      const asia = await asiaOver(failing.url);
      const blob = await pushed(50_000);
      failing.serve(REPO, blob.digest, { bytes: Buffer.alloc(0), status: 502 });
      await expectPulled(asia, blob);
      expect(failing.count('GET', `/blobs/${blob.digest}`)).toBeGreaterThan(0);
      expect(await readMetric(asia.url, FALLBACKS)).toBe(1);
    } finally {
      await failing.stop();
    }
  });

  it('falls back to main when eu accepts connections and never answers (headers timeout)', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const asia = await asiaOver(`http://127.0.0.1:${port}`, { OUTPOST_EDGE_UPSTREAM_TIMEOUTS__HEADERS: '1s' });
      const blob = await pushed(20_000);
      await expectPulled(asia, blob);
      expect(sockets.size).toBeGreaterThan(0);
      expect(await readMetric(asia.url, FALLBACKS)).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
