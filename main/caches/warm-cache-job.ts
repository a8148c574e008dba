/**
 * @module The `warm-cache` job: an admin asks main to fill a content cache with an image, so the
 * region's first pull is already hot. Params: `cache`, `repository`, `reference` (tag or digest).
 *
 * Main resolves the reference to its manifests and blobs itself; for each blob it picks the node
 * of the group a pull would be sent to (rendezvous, as redirects do) and asks that node to fetch
 * and keep it: `GET <node>/v2/<name>/blobs/<digest>?token=<redirect token>` with `X-Outpost-Warm`
 * (edge/routes/blobs.ts), answered 204 without a body. The redirect token, issued as for a pull,
 * is the authority, so the edge checks it offline like any other and no new credential exists.
 * (A plain GET whose body main drains would need no edge change, but would send every byte
 * back to main for nothing.) A few blobs at a time; cancellation stops before the next blob.
 */
import { z } from 'zod';
import type { Digest } from '../../src/oci/digest.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { INDEX_MEDIA_TYPES, isForeignLayer } from '../../src/oci/media-types.js';
import { parseReference, parseRepoName, type RepoName } from '../../src/oci/reference.js';
import type { JobContext, JobKind } from '../jobs/types.js';
import { parseParamsWith } from '../jobs/kinds/params.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import { chainIn, type ContentCaches } from './content-caches.js';
import type { Redirects } from './redirects.js';

/** Must match edge/routes/blobs.ts (main does not import the edge). */
const WARM_HEADER = 'x-outpost-warm';
const WARMED_HEADER = 'x-outpost-warmed';

// Enough to keep a node's disk and link busy without one warm crowding out the pulls it serves.
const CONCURRENCY = 4;
// Index -> image is the usual depth; an index of indexes is allowed once more (as the edge's warm).
const MAX_INDEX_DEPTH = 3;
// A node that never answers must not hold the job forever; a multi-GB layer over a slow link fits.
const BLOB_TIMEOUT_MS = 15 * 60_000;
// Beyond any real image (Docker Official Images have a few hundred blobs over all platforms).
const MAX_BLOBS = 10_000;

export interface WarmCacheJobDeps {
  caches: Pick<ContentCaches, 'list'>;
  redirects: Pick<Redirects, 'warmTarget'>;
  metadata: Pick<RegistryMetadata, 'resolve' | 'getManifest'>;
  /** The HTTP client (tests and main use the global fetch). */
  fetch?: typeof fetch;
}

const schema = z
  .object({
    cache: z.string().min(1).max(64),
    repository: z.string().min(1).max(255),
    reference: z.string().min(1).max(128),
  })
  .strict()
  .superRefine((params, ctx) => {
    try {
      parseRepoName(params.repository);
      parseReference(params.reference);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

/** Every blob `reference` in `repo` needs, each digest once; throws when the reference is unknown. */
export async function blobsOf(
  metadata: WarmCacheJobDeps['metadata'],
  repo: RepoName,
  reference: string,
): Promise<{ manifests: number; blobs: Digest[] }> {
  const top = await metadata.resolve(repo, parseReference(reference));
  if (!top) throw new Error(`${repo}:${reference} is not in the registry`);
  const seen = new Set<Digest>();
  const blobs = new Set<Digest>();
  const visit = async (digest: Digest, depth: number): Promise<void> => {
    if (seen.has(digest)) return;
    seen.add(digest);
    const record = await metadata.getManifest(repo, digest);
    if (!record) return;
    const manifest = parseManifest(record.bytes, record.mediaType);
    if (manifest.kind === 'index') {
      if (depth < MAX_INDEX_DEPTH) for (const child of manifest.manifests) await visit(child.digest, depth + 1);
      return;
    }
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      // Foreign layers live at their `urls`, not on main; nested manifests are not blobs.
      if (isForeignLayer(descriptor.mediaType) || INDEX_MEDIA_TYPES.has(descriptor.mediaType)) continue;
      if (blobs.size < MAX_BLOBS) blobs.add(descriptor.digest);
    }
  };
  await visit(top, 0);
  return { manifests: seen.size, blobs: [...blobs] };
}

export function createWarmCacheJobKind(deps: WarmCacheJobDeps): JobKind {
  const http = deps.fetch ?? fetch;
  const findCache = async (name: string) => {
    const caches = await deps.caches.list();
    const chain = chainIn(caches, name);
    if (chain.length === 0) throw new Error(`no content cache named "${name}"`);
    return { cache: chain[0]!, chain: chain.map((c) => c.name) };
  };

  /** Asks the owning node to fetch one blob: what it did, or why it failed (never the token). */
  async function warmBlob(
    context: JobContext,
    target: { cache: Awaited<ReturnType<typeof findCache>>; repo: RepoName },
    digest: Digest,
  ): Promise<'cached' | 'already-cached' | string> {
    const where = await deps.redirects.warmTarget(target.cache.cache, target.cache.chain, target.repo, digest);
    if (!where) return 'no node of the cache is up';
    try {
      const res = await http(where.url, {
        headers: { [WARM_HEADER]: '1' },
        redirect: 'manual',
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(BLOB_TIMEOUT_MS)]),
      });
      const text = res.status === 204 ? '' : (await res.text()).slice(0, 200);
      const warmed = res.headers.get(WARMED_HEADER);
      if (res.status === 204 && (warmed === 'cached' || warmed === 'already-cached')) return warmed;
      return `node ${where.node} answered ${res.status} ${text}`.trim();
    } catch (err) {
      return `node ${where.node}: ${(err as Error).message}`;
    }
  }

  return {
    kind: 'warm-cache',
    adminMayStart: true,
    parseParams: (input) => parseParamsWith(schema, input),
    async checkParams(params) {
      await findCache(schema.parse(params).cache);
    },
    async run(context) {
      const params = schema.parse(context.params);
      const repo = parseRepoName(params.repository);
      const cache = await findCache(params.cache);
      const { manifests, blobs } = await blobsOf(deps.metadata, repo, params.reference);
      context.log(
        `warming ${params.cache} with ${repo}:${params.reference}: ${manifests} manifests, ${blobs.length} blobs`,
      );
      const summary = { blobs: blobs.length, alreadyCached: 0, fetched: 0, failed: 0 };
      let next = 0;
      let done = 0;
      const worker = async () => {
        while (next < blobs.length && !context.signal.aborted) {
          const digest = blobs[next++]!;
          const outcome = await warmBlob(context, { cache, repo }, digest);
          if (outcome === 'cached') summary.fetched++;
          else if (outcome === 'already-cached') summary.alreadyCached++;
          else if (!context.signal.aborted) {
            summary.failed++;
            context.log(`${digest}: ${outcome}`);
          }
          done++;
          context.progress(done, blobs.length, `${summary.fetched} fetched, ${summary.failed} failed`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, blobs.length) }, worker));
      if (context.signal.aborted) throw new Error('cancelled');
      context.log(
        `${summary.fetched} fetched, ${summary.alreadyCached} already cached, ${summary.failed} failed ` +
          `of ${summary.blobs} blobs`,
      );
      if (summary.failed > 0 && summary.failed === summary.blobs) throw new Error('no blob could be warmed');
      return summary;
    },
  };
}
