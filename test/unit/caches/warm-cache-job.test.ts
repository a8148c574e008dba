/**
 * The `warm-cache` job kind on its own: which blobs an image or an index needs (each once, foreign
 * layers left out), at most four requests to the nodes at a time, and cancellation stopping before
 * the next blob. The nodes are a function standing in for `fetch` (test/integration/warm-cache-job
 * runs the job against real edges).
 */
import { describe, expect, it } from 'vitest';
import { blobOf, imageManifest, indexManifest, randomBlob, type Blob } from '../../helpers/oci-fixtures.js';
import { blobsOf, createWarmCacheJobKind } from '../../../main/caches/warm-cache-job.js';
import type { ContentCache } from '../../../main/metadata/caches.js';
import type { JobContext } from '../../../main/jobs/types.js';
import type { Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';

const REPO = 'team/app' as RepoName;
const FOREIGN = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

function registry(manifests: Blob[], tags: Record<string, Blob>) {
  const byDigest = new Map(manifests.map((m) => [m.digest, m]));
  return {
    resolve: async (_repo: RepoName, ref: { kind: string; tag?: string; digest?: string }) =>
      (ref.kind === 'tag' ? tags[ref.tag!]?.digest : byDigest.get(ref.digest!)?.digest) as Digest | undefined,
    getManifest: async (_repo: RepoName, digest: Digest) => {
      const m = byDigest.get(digest);
      return m && { mediaType: m.mediaType, size: m.size, bytes: m.bytes, blobs: [], children: [], createdAt: 0 };
    },
  };
}

describe('the blobs a warm covers', () => {
  it("takes an index's platforms, each shared blob once, and leaves foreign layers out", async () => {
    const shared = randomBlob(10);
    const [amd, arm] = [randomBlob(11), randomBlob(12)];
    const foreign = blobOf(Buffer.from('windows base'), FOREIGN);
    const one = imageManifest({ layers: [shared, amd, foreign] });
    const two = imageManifest({ layers: [shared, arm] });
    const index = indexManifest([one, two]);
    const { manifests, blobs } = await blobsOf(registry([index, one, two], { v1: index }), REPO, 'v1');
    expect(manifests).toBe(3);
    expect(blobs.sort()).toEqual(
      [...new Set([one.config.digest, two.config.digest, shared.digest, amd.digest, arm.digest])].sort(),
    );
  });

  it('refuses a reference the repository does not have', async () => {
    await expect(blobsOf(registry([], {}), REPO, 'v9')).rejects.toThrow('team/app:v9 is not in the registry');
  });
});

describe('running a warm', () => {
  const layers = Array.from({ length: 12 }, (_, i) => randomBlob(20 + i));
  const image = imageManifest({ layers });
  const cache = { name: 'eu', host: 'http://node.invalid', createdAt: 0 } as unknown as ContentCache;

  /** Nodes that answer each request when released; records how many were open at once. */
  function nodes() {
    const waiting: Array<() => void> = [];
    const state = { open: 0, most: 0, asked: 0 };
    const fetch = (async (_url: string, init: RequestInit) => {
      state.asked++;
      state.open++;
      state.most = Math.max(state.most, state.open);
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        init.signal?.addEventListener('abort', () => reject(new Error('aborted')));
      });
      state.open--;
      return new Response(null, { status: 204, headers: { 'x-outpost-warmed': 'cached' } });
    }) as unknown as typeof globalThis.fetch;
    const releaseAll = async () => {
      while (state.asked < layers.length + 1 || waiting.length > 0) {
        for (const release of waiting.splice(0)) release();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    return { fetch, state, waiting, releaseAll };
  }

  function kindWith(fetch: typeof globalThis.fetch) {
    return createWarmCacheJobKind({
      caches: { list: async () => [cache] },
      redirects: { warmTarget: async (_c, _chain, repo, digest) => ({ node: 'a', url: `http://a/${repo}/${digest}` }) },
      metadata: registry([image], { v1: image }),
      fetch,
    });
  }

  function context(controller = new AbortController()) {
    const lines: string[] = [];
    const ctx: JobContext = {
      id: 'job',
      params: { cache: 'eu', repository: REPO, reference: 'v1' },
      signal: controller.signal,
      progress: () => {},
      log: (line) => lines.push(line),
    };
    return { ctx, lines, controller };
  }

  it('asks the nodes for at most four blobs at a time and sums up what they did', async () => {
    const fake = nodes();
    const { ctx } = context();
    const run = kindWith(fake.fetch).run(ctx);
    await fake.releaseAll();
    expect(await run).toEqual({ blobs: 13, fetched: 13, alreadyCached: 0, failed: 0 });
    expect(fake.state.most).toBe(4);
  });

  it('stops before the next blob when cancelled', async () => {
    const fake = nodes();
    const { ctx, controller } = context();
    const run = kindWith(fake.fetch).run(ctx);
    while (fake.waiting.length < 4) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(run).rejects.toThrow('cancelled');
    expect(fake.state.asked).toBe(4);
  });

  it('refuses an unknown cache before the job is created', async () => {
    const kind = kindWith(nodes().fetch);
    await expect(kind.checkParams!({ cache: 'asia', repository: REPO, reference: 'v1' })).rejects.toThrow(
      'no content cache named "asia"',
    );
    await expect(kind.checkParams!({ cache: 'eu', repository: REPO, reference: 'v1' })).resolves.toBeUndefined();
  });
});
