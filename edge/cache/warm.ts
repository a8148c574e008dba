/**
 * @module Warm: pre-pulls an image, or every tag of a repository, from main into this cache,
 * reporting progress blob by blob. Manifests are read from main and not kept (main serves
 * manifests; the edge serves blobs); every blob they reference is pulled through the blob cache
 * on the same download path as a client's miss, so a warm and a client asking for the same
 * blob share one upstream fetch.
 *
 * Planning (authenticating, reading manifests) throws, so that the admin route can answer with
 * a status; pulling reports each blob's outcome and never throws.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { Descriptor } from '../../src/oci/manifest.js';
import { INDEX_MEDIA_TYPES, isForeignLayer } from '../../src/oci/media-types.js';
import { OciError } from '../../src/oci/errors.js';
import { parseReference, parseRepoName, type RepoName } from '../../src/oci/reference.js';
import type { BlobCache } from './blob-cache.js';
import type { MainClient, MainCredentials } from './main-client.js';
import { UpstreamError } from './upstream.js';

export interface WarmRequest {
  /** `name:tag`, `name@digest`, or a bare `name` for every tag. */
  reference: string;
  /** The operator's credentials on main; none when main lets anonymous clients pull. */
  credentials?: MainCredentials;
}

export interface WarmPlan {
  name: RepoName;
  reference: string;
  /** Digests of every manifest read (tags' manifests and the children of indexes). */
  manifests: Digest[];
  /** Every blob to pull, each digest once. */
  blobs: Descriptor[];
  /** The pull token to send with blob requests (undefined when main is open). */
  token: string | undefined;
  /** Asks main for a fresh token (when the first one expires during a long warm). */
  renewToken(): Promise<string | undefined>;
}

export type WarmProgress =
  /** One blob done: pulled now, found in the cache, or not pulled (with the reason). */
  | {
      type: 'blob';
      digest: Digest;
      size: number;
      status: 'cached' | 'already-cached' | 'failed';
      pinned?: boolean;
      error?: string;
    }
  /** The last line: what the warm did. */
  | {
      type: 'summary';
      reference: string;
      manifests: number;
      blobs: number;
      cached: number;
      alreadyCached: number;
      failed: number;
      bytes: number;
    };

/** Splits `name:tag`, `name@digest` or `name` (every tag); throws NAME_INVALID and the like. */
export function parseWarmReference(value: string): { name: RepoName; reference?: string } {
  const at = value.indexOf('@');
  if (at >= 0) {
    const reference = value.slice(at + 1);
    parseReference(reference);
    if (!reference.includes(':')) throw new OciError('DIGEST_INVALID', { message: 'expected name@<digest>' });
    return { name: parseRepoName(value.slice(0, at)), reference };
  }
  // A tag follows the last colon, which names cannot contain.
  const colon = value.lastIndexOf(':');
  if (colon < 0) return { name: parseRepoName(value) };
  const reference = value.slice(colon + 1);
  parseReference(reference);
  return { name: parseRepoName(value.slice(0, colon)), reference };
}

// Index -> image is the usual depth; an index of indexes is allowed once more.
const MAX_INDEX_DEPTH = 3;

/** Authenticates to main and reads every manifest; throws `MainClientError` or `OciError`. */
export async function planWarm(client: MainClient, request: WarmRequest): Promise<WarmPlan> {
  const { name, reference } = parseWarmReference(request.reference);
  const renewToken = () => client.pullToken(name, request.credentials);
  const token = await renewToken();
  const manifests: Digest[] = [];
  const blobs = new Map<Digest, Descriptor>();

  async function visit(ref: string, depth: number): Promise<void> {
    const fetched = await client.manifest(name, ref, token);
    if (manifests.includes(fetched.digest)) return;
    manifests.push(fetched.digest);
    const { manifest } = fetched;
    if (manifest.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH) return;
      for (const child of manifest.manifests) await visit(child.digest, depth + 1);
      return;
    }
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      // Foreign and non-distributable layers live elsewhere (their `urls`), not on main.
      if (isForeignLayer(descriptor.mediaType) || INDEX_MEDIA_TYPES.has(descriptor.mediaType)) continue;
      if (!blobs.has(descriptor.digest)) blobs.set(descriptor.digest, descriptor);
    }
  }

  const references = reference !== undefined ? [reference] : await client.tags(name, token);
  for (const ref of references) await visit(ref, 0);
  return { name, reference: request.reference, manifests, blobs: [...blobs.values()], token, renewToken };
}

export interface RunWarmOptions {
  /** Pin every blob that is (or already was) cached. */
  pin?: boolean;
  /** Stops before the next blob when aborted (the blob being pulled finishes as a normal download). */
  signal?: AbortSignal;
}

/** Pulls every blob of `plan` into `cache`, one progress line per blob, then a summary. */
export async function* runWarm(
  cache: BlobCache,
  plan: WarmPlan,
  options: RunWarmOptions = {},
): AsyncGenerator<WarmProgress> {
  const counts = { cached: 0, alreadyCached: 0, failed: 0, bytes: 0 };
  let token = plan.token;
  for (const blob of plan.blobs) {
    if (options.signal?.aborted) break;
    let line: WarmProgress & { type: 'blob' };
    try {
      let status;
      try {
        status = await cache.prefetch(plan.name, blob.digest, token);
      } catch (err) {
        // Registry tokens live minutes; a long warm outlives the first one.
        if (!(err instanceof UpstreamError && err.status === 401)) throw err;
        token = await plan.renewToken();
        status = await cache.prefetch(plan.name, blob.digest, token);
      }
      line = { type: 'blob', digest: blob.digest, size: blob.size, status };
      if (options.pin) line.pinned = await cache.setPinned(blob.digest, true);
    } catch (err) {
      line = { type: 'blob', digest: blob.digest, size: blob.size, status: 'failed', error: (err as Error).message };
    }
    if (line.status === 'cached') {
      counts.cached++;
      counts.bytes += blob.size;
    } else if (line.status === 'already-cached') {
      counts.alreadyCached++;
    } else {
      counts.failed++;
    }
    yield line;
  }
  yield {
    type: 'summary',
    reference: plan.reference,
    manifests: plan.manifests.length,
    blobs: plan.blobs.length,
    ...counts,
  };
}
