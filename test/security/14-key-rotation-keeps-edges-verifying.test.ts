/**
 * Issue 9, item 14: after `outpost main keys rotate` an edge refused valid redirect tokens for up
 * to 30 s, and anyone could open that window by sending a token with an unknown `kid`.
 *
 * What holds now: main publishes a new key before it signs with it (`auth.keyPrePublication`),
 * and an edge that sees an unknown kid waits for the refresh in flight or due instead of refusing,
 * with refreshes bounded (one in flight, `jwksMinRefreshInterval` apart) however many made-up
 * kids arrive. Each refusal is logged with its reason, never with the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader, generateKeyPair } from 'jose';
import { mainCli } from '../../main/cli.js';
import { issueRedirectToken } from '../../src/auth/redirect-token.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { readBody, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { expectOciError } from '../helpers/registry-http.js';
import {
  bearer,
  createUsers,
  expectRedirect,
  getBlob,
  publishImage,
  pullToken,
  setCache,
  tokenIn,
  type PublishedImage,
} from '../helpers/redirect.js';

interface Setup {
  main: TestMain;
  edge: TestEdge;
  image: PublishedImage;
  alice: string;
  logLines: string[];
  /** Moves main's and the edge's clock (they share it, as hosts with NTP do). */
  advance(ms: number): void;
}

async function setUp(mainEnv: Record<string, string> = {}): Promise<Setup> {
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  const logLines: string[] = [];
  const main = await startTestMain({ auth: true, now, env: mainEnv });
  const edge = await startTestEdge({
    name: 'eu',
    upstream: main.url,
    issuer: main.url,
    now,
    env: { OUTPOST_EDGE_JWKS_MIN_REFRESH_INTERVAL: '1s' },
    logger: createLogger({ level: 'debug', write: (line) => void logLines.push(line) }),
  });
  await main.service.caches.caches.create({ name: 'eu', host: edge.url });
  const users = await createUsers(main, ['alice']);
  await setCache(main, 'alice', 'eu');
  const image = await publishImage(main, [2000, 3000, 4000]);
  return { main, edge, image, alice: users.alice!, logLines, advance: (ms) => void (offsetMs += ms) };
}

/** `outpost main keys rotate` on main's data directory, while main runs; returns the new kid. */
async function rotate(main: TestMain): Promise<string> {
  let out = '';
  const io = { out: (s: string) => void (out += s), err: () => {}, readPassword: async () => '' };
  const code = await mainCli(['keys', 'rotate', '--data', main.dataDir], {}, io);
  expect(code).toBe(0);
  return out.trim();
}

/**
 * A pull of a layer as docker does it: a fresh token, GET on main, then the 307's Location. Main
 * reuses a redirect token for half its lifetime: a layer not pulled yet gets a newly signed one.
 */
async function redirectLocation(s: Setup, layer = 0): Promise<string> {
  const digest = s.image.layers[layer]!.digest;
  return expectRedirect(await getBlob(s.main, digest, bearer(await pullToken(s.main, s.alice))), s.edge.url, digest);
}

async function expectServed(s: Setup, location: string, layer = 0): Promise<void> {
  const res = await fetch(location);
  expect(res.status).toBe(200);
  const { bytes, error } = await readBody(res);
  expect(error).toBeUndefined();
  expect(bytes.equals(s.image.layers[layer]!.bytes)).toBe(true);
}

/** GETs of main's JWKS so far, from main's request metrics. */
async function jwksFetches(main: TestMain): Promise<number> {
  const text = await (await fetch(`${main.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('outpost_main_http_requests_total{') && line.includes('route="/auth/jwks.json"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** A redirect token for the layer, signed by a key main never had, under a made-up kid. */
async function forged(s: Setup, kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return issueRedirectToken(
    { kid, privateKey },
    {
      issuer: s.main.url,
      subject: 'mallory',
      repository: 'team/app',
      digest: s.image.layers[0]!.digest,
      audience: ['eu'],
      lifetimeMs: 60_000,
      now: Date.now(),
    },
  );
}

const edgeUrlFor = (s: Setup, token: string) =>
  `${s.edge.url}/v2/team/app/blobs/${s.image.layers[0]!.digest}?token=${token}`;

describe('outpost main keys rotate on a running main and edge (default pre-publication)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp();
    await expectServed(s, await redirectLocation(s));
  });
  afterAll(async () => {
    await s?.edge.stop();
    await s?.main.stop();
  });

  it('publishes the new key at once, signs with the old one: a token signed right after is served', async () => {
    const oldKid = decodeProtectedHeader(tokenIn(await redirectLocation(s))).kid!;
    const newKid = await rotate(s.main);
    const jwks = (await (await fetch(`${s.main.url}/auth/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([oldKid, newKid]);

    const location = await redirectLocation(s, 1);
    expect(decodeProtectedHeader(tokenIn(location)).kid).toBe(oldKid);
    await expectServed(s, location, 1);
  });

  it('signs with the new key once published for the pre-publication period; the edge serves it', async () => {
    const newKid = s.main.service.keys.newestKid;
    s.advance(61_000);
    const location = await redirectLocation(s, 2);
    expect(decodeProtectedHeader(tokenIn(location)).kid).toBe(newKid);
    await expectServed(s, location, 2);
  });
});

describe('an edge that sees an unknown kid', () => {
  let s: Setup;
  beforeAll(async () => {
    // Main signs with a new key at once here: only the edge's waiting can save the token.
    s = await setUp({ OUTPOST_MAIN_AUTH__KEY_PRE_PUBLICATION: '0s' });
    await expectServed(s, await redirectLocation(s));
  });
  afterAll(async () => {
    await s?.edge.stop();
    await s?.main.stop();
  });

  it('waits for the next refresh instead of refusing, even just after a sprayed kid made it refresh', async () => {
    await expectOciError(await fetch(edgeUrlFor(s, await forged(s, 'made-up-before-rotation'))), 401, 'UNAUTHORIZED');
    const newKid = await rotate(s.main);
    const location = await redirectLocation(s, 1);
    expect(decodeProtectedHeader(tokenIn(location)).kid).toBe(newKid);
    await expectServed(s, location, 1);
  });

  it('refuses made-up kids with 401 and a challenge, refreshing at most once per interval', async () => {
    for (let wave = 0; wave < 2; wave++) {
      const before = await jwksFetches(s.main);
      const started = performance.now();
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => forged(s, `sprayed-${wave}-${i}`)));
      const answers = await Promise.all(tokens.map((t) => fetch(edgeUrlFor(s, t))));
      for (const res of answers) {
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="outpost-edge",error="invalid_token"');
        const error = await expectOciError(res, 401, 'UNAUTHORIZED');
        expect(error.message).toBe('redirect token refused: token is signed by an unknown key');
      }
      // One refresh in flight, the next no sooner than 1 s (the configured interval) later.
      const bound = 1 + Math.floor((performance.now() - started) / 1000);
      const fetched = (await jwksFetches(s.main)) - before;
      expect(fetched).toBeGreaterThanOrEqual(1);
      expect(fetched).toBeLessThanOrEqual(bound);
    }
    // The legitimate pull still works after the spray.
    await expectServed(s, await redirectLocation(s));
  });

  it('logs each refusal with its reason (and the kid), never the token', async () => {
    const token = await forged(s, 'logged-kid');
    await expectOciError(await fetch(edgeUrlFor(s, token)), 401, 'UNAUTHORIZED');
    const line = s.logLines.find((l) => l.includes('logged-kid'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      msg: 'redirect token refused',
      reason: 'OUTPOST_TOKEN_UNKNOWN_KEY',
      repository: 'team/app',
      kid: 'logged-kid',
    });
    for (const l of s.logLines) expect(l).not.toContain(token.split('.')[2]!);

    const withoutToken = `${s.edge.url}/v2/team/app/blobs/${s.image.layers[0]!.digest}`;
    await expectOciError(await fetch(withoutToken), 401, 'UNAUTHORIZED');
    const records = s.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const missing = records.filter((l) => l.reason === 'OUTPOST_TOKEN_MISSING');
    expect(missing).toEqual([expect.objectContaining({ msg: 'redirect token refused', repository: 'team/app' })]);
  });
});
