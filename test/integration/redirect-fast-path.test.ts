/**
 * Main answers a blob GET with a registry bearer token before Hono (the redirect fast path,
 * main/routes/v2/blob-redirect-fast-path.ts), and must answer exactly as the app does: the same
 * status, headers and body for the redirect and for every case it leaves to the app (a refused
 * token, a token without pull on the repository, an unknown blob, a cache that is down, a user
 * without a cache). The same request reaches the app alone when its scheme is spelled `bearer`
 * (schemes are case-insensitive; the fast path takes only `Bearer`), so each case is asked both
 * ways and the answers compared. A second part runs the fast path alone in front of a stand-in
 * app, to show which requests it answers and which it hands on.
 */
import { createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../src/auth/jwt.js';
import { startServer, type RunningServer } from '../../src/http/serve.js';
import { createLogger } from '../../src/log/logger.js';
import { createHttpMetrics } from '../../src/metrics/http-metrics.js';
import { Registry as MetricsRegistry } from 'prom-client';
import { createAuthenticator } from '../../main/auth/authenticator.js';
import { createLoginThrottle } from '../../main/auth/login-throttle.js';
import { createMemoryThrottleStore } from '../../main/metadata/memory/throttle.js';
import { clientAddressResolver } from '../../main/middleware/client-address.js';
import { BLOB_ROUTE, createBlobRedirectFastPath } from '../../main/routes/v2/blob-redirect-fast-path.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  bearer,
  createUsers,
  expectRedirect,
  mainMetric,
  publishImage,
  pullToken,
  REPO,
  setCache,
  tokenIn,
  type PublishedImage,
} from '../helpers/redirect.js';

let main: TestMain;
let eu: TestEdge;
let image: PublishedImage;
let auth: Record<string, string>;
/** Registry tokens for team/app by user. */
const tokens: Record<string, string> = {};

beforeAll(async () => {
  main = await startTestMain({ auth: true, env: { OUTPOST_MAIN_CACHES__PROBE_INTERVAL: '200ms' } });
  eu = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
  await main.service.caches.caches.create({ name: 'eu', host: eu.url });
  // Nothing listens there: main's probe marks it down.
  await main.service.caches.caches.create({ name: 'gone', host: 'http://127.0.0.1:1' });
  auth = await createUsers(main, ['alice', 'bob', 'carol', 'dave']);
  image = await publishImage(main);
  await setCache(main, 'alice', 'eu');
  await setCache(main, 'carol', 'gone');
  await setCache(main, 'dave', 'eu');
  for (const user of ['alice', 'bob', 'carol', 'dave']) tokens[user] = await pullToken(main, auth[user]!);
  await waitFor(
    async () => (await mainMetric(main, 'outpost_main_cache_up{cache="gone"}')) === 0,
    'main to see the cache "gone" down',
  );
});
afterAll(async () => {
  await eu?.stop();
  await main?.stop();
});

const layer = () => image.layers[0]!;
const blobPath = (digest = layer().digest, repo = REPO) => `/v2/${repo}/blobs/${digest}`;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function ask(url: string, authorization: string): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', headers: { Authorization: authorization } });
  const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()).toString('base64') };
}

/** The same GET asked in the fast path's shape (`Bearer`) and in the app's (`bearer`). */
async function askBothWays(path: string, token: string): Promise<{ fast: Answer; app: Answer }> {
  const fast = await ask(`${main.url}${path}`, `Bearer ${token}`);
  const app = await ask(`${main.url}${path}`, `bearer ${token}`);
  return { fast, app };
}

describe('a blob GET with a bearer token: the same answer with and without the fast path', () => {
  it('redirects a user whose profile names a cache: same 307, Location and headers', async () => {
    const { fast, app } = await askBothWays(blobPath(), tokens.alice!);
    expect(fast.status).toBe(307);
    expect(fast).toEqual(app);
    expect(fast.headers).toMatchObject({
      'cache-control': 'no-store',
      'content-length': '0',
      'docker-content-digest': layer().digest,
      'docker-distribution-api-version': 'registry/2.0',
    });
    await expectRedirect(
      await fetch(`${main.url}${blobPath()}`, {
        redirect: 'manual',
        headers: { Authorization: bearer(tokens.alice!) },
      }),
      eu.url,
      layer().digest,
    );
  });

  it('counts each redirect once, under the route and status the app counts', async () => {
    const redirects = () => mainMetric(main, 'outpost_main_redirects_total{cache="eu"}');
    const requests = () =>
      mainMetric(main, `outpost_main_http_requests_total{method="GET",route="${BLOB_ROUTE}",code="307"}`);
    const [redirectsBefore, requestsBefore] = [await redirects(), await requests()];
    await askBothWays(blobPath(), tokens.dave!);
    expect(await redirects()).toBe(redirectsBefore + 2);
    expect(await requests()).toBe(requestsBefore + 2);
  });

  it('refuses a token main did not sign: same 401 and challenge', async () => {
    const forged = `${tokens.alice!.split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
    const { fast, app } = await askBothWays(blobPath(), forged);
    expect(fast.status).toBe(401);
    expect(fast.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(fast).toEqual(app);
  });

  it('refuses a token without pull on the repository: same 401 insufficient_scope', async () => {
    const other = await pullToken(main, auth.alice!, 'team/other');
    const { fast, app } = await askBothWays(blobPath(), other);
    expect(fast.status).toBe(401);
    expect(fast.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(fast).toEqual(app);
  });

  it('answers 404 BLOB_UNKNOWN for a blob main does not have, rather than redirecting', async () => {
    const { fast, app } = await askBothWays(blobPath(`sha256:${'0'.repeat(64)}`), tokens.alice!);
    expect(fast.status).toBe(404);
    expect(Buffer.from(fast.body, 'base64').toString()).toContain('BLOB_UNKNOWN');
    expect(fast).toEqual(app);
  });

  it("serves the bytes itself when the user's cache is down", async () => {
    const { fast, app } = await askBothWays(blobPath(), tokens.carol!);
    expect(fast.status).toBe(200);
    expect(Buffer.from(fast.body, 'base64').equals(layer().bytes)).toBe(true);
    expect(fast).toEqual(app);
  });

  it('serves the bytes itself to a user without a cache', async () => {
    const { fast, app } = await askBothWays(blobPath(), tokens.bob!);
    expect(fast.status).toBe(200);
    expect(fast).toEqual(app);
  });

  it('refuses the token of a user removed since: same 401', async () => {
    await main.service.accounts.createUser({ name: 'erin', password: 'erin-test-password-1' });
    await setCache(main, 'erin', 'eu');
    const token = await pullToken(main, `Basic ${Buffer.from('erin:erin-test-password-1').toString('base64')}`);
    expect((await askBothWays(blobPath(), token)).fast.status).toBe(307);
    await main.service.accounts.removeUser('erin');
    const { fast, app } = await askBothWays(blobPath(), token);
    expect(fast.status).toBe(401);
    expect(fast).toEqual(app);
  });
});

describe('the fast path alone, in front of a stand-in app', () => {
  let server: RunningServer;
  const APP_STATUS = 418;

  beforeAll(async () => {
    const keys = main.service.keys;
    const verifier = createJwtVerifier({
      getKey: (header, token) => createLocalJWKSet(keys.jwks())(header, token),
      issuer: main.url,
      audience: 'outpost',
    });
    const throttle = createLoginThrottle({
      store: createMemoryThrottleStore(),
      now: Date.now,
      logger: createLogger({ write: () => {} }),
    });
    server = await startServer({
      fetch: () => new Response('the app', { status: APP_STATUS }),
      fastPath: createBlobRedirectFastPath({
        authenticator: createAuthenticator({ accounts: main.service.accounts, throttle, verifier }),
        registry: main.service.registry,
        caches: main.service.caches,
        http: createHttpMetrics(new MetricsRegistry(), 'fast_path_test'),
        clientAddress: clientAddressResolver([]),
      }),
      listen: { host: '127.0.0.1', port: 0 },
    });
  });
  afterAll(async () => {
    await server?.close(1_000);
  });

  const statusOf = async (path: string, authorization: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      redirect: 'manual',
      ...init,
      headers: { Authorization: authorization, ...(init.headers as Record<string, string>) },
    });
    await res.arrayBuffer();
    return res.status;
  };

  it('answers the redirect itself', async () => {
    expect(await statusOf(blobPath(), bearer(tokens.alice!))).toBe(307);
  });

  it('hands on every other case to the app', async () => {
    const cases: Array<[string, string, RequestInit?]> = [
      [blobPath(), `bearer ${tokens.alice!}`],
      [blobPath(), auth.alice!],
      [`${blobPath()}?x=1`, bearer(tokens.alice!)],
      [blobPath(), bearer(tokens.alice!), { method: 'HEAD' }],
      [blobPath(), bearer(tokens.alice!), { headers: { 'X-Outpost-Cache': 'eu' } }],
      [blobPath(), bearer('not-a-token')],
      [blobPath(), bearer(await pullToken(main, auth.alice!, 'team/other'))],
      [blobPath(`sha256:${'0'.repeat(64)}`), bearer(tokens.alice!)],
      [blobPath(), bearer(tokens.carol!)],
      [blobPath(), bearer(tokens.bob!)],
      [`/v2/${REPO}/manifests/v1`, bearer(tokens.alice!)],
      // An edge fetching a miss with the redirect token main gave the client.
      [blobPath(), bearer(tokenIn((await ask(`${main.url}${blobPath()}`, bearer(tokens.alice!))).headers.location!))],
    ];
    for (const [path, authorization, init] of cases) {
      expect(
        await statusOf(path, authorization, init),
        `${init?.method ?? 'GET'} ${path} ${authorization.slice(0, 12)}`,
      ).toBe(APP_STATUS);
    }
  });
});
