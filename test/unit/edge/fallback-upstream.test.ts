/**
 * The fallback policy of an edge behind another cache (edge/cache/fallback-upstream.ts), on two
 * scripted upstreams: which one is asked, when the failed cache is asked again, and which answers
 * are passed on. edge-chain-fallback.test.ts runs the same with real edges and main.
 */
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/oci/digest.js';
import { createLogger } from '../../../src/log/logger.js';
import { createFallbackUpstream, type FallbackUpstream } from '../../../edge/cache/fallback-upstream.js';
import { UpstreamError, type Upstream } from '../../../edge/cache/upstream.js';

const DIGEST = `sha256:${'a'.repeat(64)}` as Digest;
const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const refused = () => new UpstreamError('OUTPOST_UPSTREAM_UNAVAILABLE', 'connect ECONNREFUSED');
const status = (code: number) => new UpstreamError('OUTPOST_UPSTREAM_STATUS', `upstream answered ${code}`, code);

/** An upstream that answers each fetch with the next of `script` (the last one repeats). */
function scripted(baseUrl: string) {
  const upstream = {
    script: [] as Array<UpstreamError | 'ok'>,
    asked: 0,
    baseUrl,
    dispatcher,
    async fetchBlob() {
      upstream.asked++;
      const next = upstream.script.length > 1 ? upstream.script.shift()! : upstream.script[0]!;
      if (next !== 'ok') throw next;
      return { size: 1, body: Readable.from([Buffer.from('x')]) };
    },
    async statBlob() {
      await upstream.fetchBlob();
      return 1;
    },
    ping: async () => true,
    close: async () => {},
  };
  return upstream satisfies Upstream;
}

let clock: number;
let cache: ReturnType<typeof scripted>;
let main: ReturnType<typeof scripted>;
let fallbacks: number;
let failuresHeard: number;
let logs: string;
let upstream: FallbackUpstream;
beforeEach(() => {
  clock = 0;
  cache = scripted('http://eu');
  main = scripted('http://main');
  main.script = ['ok'];
  fallbacks = 0;
  failuresHeard = 0;
  logs = '';
  upstream = createFallbackUpstream({
    cache,
    main,
    fallbacks: { inc: () => void fallbacks++ },
    logger: createLogger({ write: (line) => void (logs += line) }),
    now: () => clock,
    recheckAfterMs: 10_000,
    onCacheFailure: () => void failuresHeard++,
  });
});
const fetchOne = (signal?: AbortSignal) => upstream.fetchBlob('team/app', DIGEST, 'token', signal);

describe('an upstream cache with main behind it', () => {
  it('asks the cache while it answers, and never main', async () => {
    cache.script = ['ok'];
    await fetchOne();
    await fetchOne();
    expect([cache.asked, main.asked, fallbacks]).toEqual([2, 0, 0]);
  });

  for (const [what, failure] of [
    ['refused', refused()],
    ['503', status(503)],
    ['500', status(500)],
  ] as const) {
    it(`asks main when the cache fails (${what}), and says so once at info level`, async () => {
      cache.script = [failure];
      await fetchOne();
      expect([cache.asked, main.asked, fallbacks]).toEqual([1, 1, 1]);
      expect(upstream.fallingBack()).toBe(true);
      expect(logs).toMatch(/"level":"info","msg":"upstream cache failed: misses are fetched from main/);
    });
  }

  for (const code of [404, 401, 403]) {
    it(`passes on the cache's ${code} without asking main`, async () => {
      cache.script = [status(code)];
      await expect(fetchOne()).rejects.toMatchObject({ status: code });
      expect([main.asked, fallbacks]).toEqual([0, 0]);
    });
  }

  it('skips a failed cache for 10 s after its last failure, then asks it again', async () => {
    cache.script = [refused(), refused(), 'ok'];
    await fetchOne();
    clock = 9_999;
    await fetchOne();
    expect([cache.asked, main.asked]).toEqual([1, 2]);
    clock = 10_000;
    await fetchOne();
    expect([cache.asked, main.asked]).toEqual([2, 3]);
    clock = 20_000;
    await fetchOne();
    expect([cache.asked, main.asked, fallbacks]).toEqual([3, 3, 3]);
    expect(upstream.fallingBack()).toBe(false);
    expect(logs.match(/upstream cache failed/g)).toHaveLength(1);
    expect(logs).toMatch(/"level":"info","msg":"upstream cache answers again: misses go to it".*"failedForMs":20000/);
  });

  it('tells `onCacheFailure` of each failure of the cache (main re-probes it), not of skipped or passed-on ones', async () => {
    cache.script = [refused(), status(404)];
    await fetchOne();
    await fetchOne();
    expect(failuresHeard).toBe(1);
    clock = 10_000;
    await expect(fetchOne()).rejects.toMatchObject({ status: 404 });
    expect(failuresHeard).toBe(1);
    cache.script = [status(502)];
    await fetchOne();
    expect(failuresHeard).toBe(2);
  });

  it('asks the cache first again while main fails too', async () => {
    cache.script = [refused()];
    main.script = [refused()];
    await expect(fetchOne()).rejects.toMatchObject({ code: 'OUTPOST_UPSTREAM_UNAVAILABLE' });
    await expect(fetchOne()).rejects.toThrow();
    expect([cache.asked, main.asked]).toEqual([2, 2]);
  });

  it('does not move a fetch aborted by the edge stopping to main', async () => {
    const stopping = new AbortController();
    stopping.abort();
    cache.script = [refused()];
    await expect(fetchOne(stopping.signal)).rejects.toThrow();
    expect([main.asked, fallbacks]).toEqual([0, 0]);
    expect(upstream.fallingBack()).toBe(false);
  });

  it('falls back for a HEAD (statBlob) as well', async () => {
    cache.script = [refused()];
    expect(await upstream.statBlob('team/app', DIGEST, 'token')).toBe(1);
    expect([cache.asked, main.asked]).toEqual([1, 1]);
  });
});
