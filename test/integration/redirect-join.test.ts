/**
 * Edges registering themselves with a join token: `POST /api/v0/content_caches/join` on main,
 * and an edge started with a join token (edge config `joinToken`, `region`) that registers at
 * start-up, logs the outcome without the token, and serves whatever main answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { api, apiOk, expectApiError } from '../helpers/api-client.js';
import {
  createUsers,
  expectRedirect,
  getBlob,
  publishImage,
  setCache,
  type PublishedImage,
} from '../helpers/redirect.js';

const DAY = 24 * 3_600_000;
// Main's clock runs ahead of the real one by this much (to expire a join token).
let aheadMs = 0;
let main: TestMain;
let token: string;
let image: PublishedImage;
const edges: TestEdge[] = [];

beforeAll(async () => {
  main = await startTestMain({ auth: true, now: () => Date.now() + aheadMs });
  token = (await main.service.caches.joinTokens.create(DAY)).token;
  image = await publishImage(main);
});
afterAll(async () => {
  for (const edge of edges.reverse()) await edge.stop();
  await main?.stop();
});

const join = (body: Record<string, unknown>) => api(main.url, 'POST', '/content_caches/join', { body });

/** An edge with a join token; its log lines are collected. */
async function joiningEdge(
  name: string,
  options: { joinToken?: string; region?: string; upstream?: string; nodeId?: string } = {},
): Promise<{ edge: TestEdge; logs: () => string }> {
  let logs = '';
  const logger: Logger = createLogger({ write: (line) => void (logs += line) });
  const edge = await startTestEdge({
    name,
    upstream: options.upstream ?? main.url,
    issuer: main.url,
    logger,
    flags: {
      joinToken: options.joinToken ?? token,
      ...(options.region && { region: options.region }),
      ...(options.nodeId && { nodeId: options.nodeId }),
    },
  });
  edges.push(edge);
  return { edge, logs: () => logs };
}

describe('POST /api/v0/content_caches/join', () => {
  it('registers a cache for a valid token, without other credentials (201)', async () => {
    const view = await apiOk<{ name: string; host: string; region: string; upstream: string }>(
      main.url,
      'POST',
      '/content_caches/join',
      201,
      {
        body: { token, name: 'manual', host: 'https://manual.example.com', region: 'lab' },
      },
    );
    expect(view).toMatchObject({ name: 'manual', host: 'https://manual.example.com', region: 'lab', upstream: '' });
  });

  it('moves a known cache to the host given (200), the same token used again', async () => {
    const view = await apiOk<{ host: string; region: string }>(main.url, 'POST', '/content_caches/join', 200, {
      body: { token, name: 'manual', host: 'https://moved.example.com' },
    });
    expect(view).toMatchObject({ host: 'https://moved.example.com', region: 'lab' });
  });

  it('answers 401 UNAUTHORIZED for a wrong or missing token, and changes nothing', async () => {
    await expectApiError(
      await join({ token: `${token}x`, name: 'manual', host: 'https://evil.example.com' }),
      401,
      'UNAUTHORIZED',
      /join token refused/,
    );
    await expectApiError(
      await join({ name: 'manual', host: 'https://evil.example.com' }),
      401,
      'UNAUTHORIZED',
      /join token refused/,
    );
    expect((await main.service.caches.caches.get('manual'))!.host).toBe('https://moved.example.com');
  });

  it('answers 401 UNAUTHORIZED once the token has expired', async () => {
    const short = (await main.service.caches.joinTokens.create(60_000)).token;
    await apiOk(main.url, 'POST', '/content_caches/join', 201, {
      body: { token: short, name: 'brief', host: 'https://brief.example.com' },
    });
    aheadMs = 60_000;
    try {
      await expectApiError(
        await join({ token: short, name: 'brief', host: 'https://evil.example.com' }),
        401,
        'UNAUTHORIZED',
        /expired/,
      );
      expect((await main.service.caches.caches.get('brief'))!.host).toBe('https://brief.example.com');
    } finally {
      // Main's clock back in step with the edges', which check the redirect tokens it signs.
      aheadMs = 0;
    }
  });

  it('answers 400 INVALID_INPUT for a bad name or host with a valid token', async () => {
    await expectApiError(
      await join({ token, name: 'Bad Name', host: 'https://x.example.com' }),
      400,
      'INVALID_INPUT',
      /name must be lowercase/,
    );
    await expectApiError(
      await join({ token, name: 'fine', host: 'x.example.com' }),
      400,
      'INVALID_INPUT',
      /host must be the http\(s\) URL/,
    );
  });
});

describe('an edge started with a join token', () => {
  it('registers itself on main under its name, public URL and region, and logs it', async () => {
    const { edge, logs } = await joiningEdge('eu', { region: 'eu-west-1', nodeId: 'eu-1' });
    expect(await edge.service.joined).toBe('joined');
    expect(await main.service.caches.caches.get('eu')).toMatchObject({ host: edge.url, region: 'eu-west-1' });
    expect((await main.service.caches.caches.get('eu'))!.upstream).toBeUndefined();
    expect(logs()).toMatch(/"msg":"registered on main".*"created":true/);
    expect(logs()).not.toContain(token.slice(-20));
  });

  it('receives the pulls of users who pick it', async () => {
    const auth = await createUsers(main, ['alice']);
    await setCache(main, 'alice', 'eu');
    const layer = image.layers[0]!;
    const location = await expectRedirect(
      await getBlob(main, layer.digest, auth.alice),
      (await main.service.caches.caches.get('eu'))!.host,
      layer.digest,
    );
    expect((await readBody(await fetch(location))).bytes.equals(layer.bytes)).toBe(true);
  });

  it('registers with its upstream edge named when it pulls through one', async () => {
    const eu = edges.find((e) => e.name === 'eu')!;
    const { edge } = await joiningEdge('asia', { upstream: eu.url });
    expect(await edge.service.joined).toBe('joined');
    expect(await main.service.caches.caches.get('asia')).toMatchObject({ host: edge.url, upstream: 'eu' });
  });

  it('moves its registration when it comes back at another address (the same node id)', async () => {
    const { edge, logs } = await joiningEdge('eu', { nodeId: 'eu-1' });
    expect(await edge.service.joined).toBe('joined');
    const cache = (await main.service.caches.caches.get('eu'))!;
    expect(cache.host).toBe(edge.url);
    expect(cache.nodes).toEqual([
      { id: 'eu-1', host: edge.url, joinedAt: expect.any(Number), credentialHash: expect.any(String) },
    ]);
    expect(logs()).toMatch(/"msg":"registered on main".*"created":false/);
  });

  it("logs main's refusal of a wrong token, without the token, and serves anyway", async () => {
    const wrong = 'outpost-join-this-is-not-a-valid-token-at-all';
    const { edge, logs } = await joiningEdge('intruder', { joinToken: wrong });
    expect(await edge.service.joined).toBe('refused');
    expect(logs()).toMatch(
      /"level":"error","msg":"main refused to register this cache; serving anyway".*"status":401.*join token refused/,
    );
    expect(logs()).not.toContain(wrong);
    expect(await main.service.caches.caches.get('intruder')).toBeUndefined();
    expect((await fetch(`${edge.url}/health`)).status).toBe(200);
  });
});
