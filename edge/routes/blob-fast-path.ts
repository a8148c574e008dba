/**
 * @module The edge's hot path, in front of the Hono app: a `GET` of a small blob held in
 * memory, with a redirect token this edge verified before, is answered straight from Node's
 * request and response.
 *
 * Why: at 10k+ small hits a second, Hono's middleware chain (request metrics, registry headers)
 * and the route's promise hops cost more than the hit itself; a Hono app with middlewares
 * answered ~25% fewer requests than the same route alone (`load/`, edge-small-blobs). What it
 * must not do: answer anything differently. It takes only the exact shape main's 307 produces
 * (`/v2/<name>/blobs/<digest>?token=<jwt>`, no `Range`, no warm header), sends the same status, headers and
 * body as the blob route, and records the same metrics; anything else (HEAD, ranges, another
 * query, a token not verified yet or for another blob, a blob on disk or upstream, bad input)
 * returns false and goes through the app, which decides as always.
 */
import { parseDigest, type Digest } from '../../src/oci/digest.js';
import { parseRepoName } from '../../src/oci/reference.js';
import type { NodeFastPath } from '../../src/http/serve.js';
import type { BlobCache } from '../cache/blob-cache.js';
import type { EdgeMetrics } from '../metrics.js';
import type { VerifiedBefore } from '../redirect-auth.js';
import { blobHeaders, type BlobResponsePlan } from '../../src/http/blob-headers.js';
import { edgeBlobPlan, type BlobSender } from './send-cached-blob.js';
import type { AccessLogWriter } from '../../src/http/access-log.js';
import { FRONT_MISSED_HEADER } from '../front.js';
import { WARM_HEADER } from './blobs.js';

const FRONT_MISSED = FRONT_MISSED_HEADER.toLowerCase();

/** The blob route's template, as the request metrics label it. */
export const BLOB_ROUTE = '/v2/{name}/blobs/{digest}';

// Main's Location: /v2/<name>/blobs/<algorithm>:<hex>?token=<JWT: base64url parts and dots>
const HOT_URL = /^\/v2\/([a-z0-9][a-z0-9._/-]*)\/blobs\/([a-z0-9]+:[a-f0-9]+)\?token=([A-Za-z0-9_.-]+)$/;

export interface BlobFastPathDeps {
  cache: BlobCache;
  verifiedBefore: VerifiedBefore;
  metrics: EdgeMetrics;
  /** Sends the blob: the same function as the blob route's. */
  send: BlobSender;
  /** The access log, as the app writes it. */
  accessLog?: AccessLogWriter;
}

/** Returns a handler that answers a request and returns true, or returns false untouched. */
export function createBlobFastPath({
  cache,
  verifiedBefore,
  metrics,
  send,
  accessLog,
}: BlobFastPathDeps): NodeFastPath {
  // The answer's status and headers, built on a blob's first hit from memory and kept while its
  // bytes stay in memory (the same digest always has the same bytes, hence the same headers).
  const plans = new WeakMap<Buffer, BlobResponsePlan>();
  return function blobFastPath(incoming, outgoing) {
    const started = performance.now();
    if (
      incoming.method !== 'GET' ||
      incoming.headers.range !== undefined ||
      incoming.headers.host === undefined ||
      incoming.headers[WARM_HEADER] !== undefined
    )
      return false;
    const match = HOT_URL.exec(incoming.url ?? '');
    if (!match) return false;
    const [, rawName, rawDigest, token] = match as unknown as [string, string, string, string];
    let name: string;
    let digest: Digest;
    try {
      name = parseRepoName(rawName);
      digest = parseDigest(rawDigest);
    } catch {
      return false;
    }
    if (!verifiedBefore(token, name, digest)) return false;
    const blob = cache.openInMemory(digest);
    if (!blob) return false;
    let plan = plans.get(blob.bytes);
    if (!plan) {
      plan = edgeBlobPlan({ status: 200, headers: blobHeaders(digest, blob.size), length: blob.size });
      plans.set(blob.bytes, plan);
    }
    metrics.blobRequests.inc({ result: 'hit' });
    // nginx asking again for a file it found missing: this time the edge sends the bytes.
    const status = send(
      outgoing,
      blob,
      plan,
      started,
      incoming.headers[FRONT_MISSED] === undefined ? digest : undefined,
    );
    // The same series the request-metrics middleware records for this answer.
    const seconds = (performance.now() - started) / 1000;
    metrics.http.requests.inc({ method: 'GET', route: BLOB_ROUTE, code: String(status) });
    metrics.http.duration.observe({ method: 'GET', route: BLOB_ROUTE }, seconds);
    const bytes = status === 499 ? 0 : blob.size;
    metrics.http.bytesOut.inc({ route: BLOB_ROUTE }, bytes);
    accessLog?.({
      method: 'GET',
      route: BLOB_ROUTE,
      status,
      bytes,
      durationMs: Math.round(seconds * 10_000) / 10,
      cacheDecision: 'hit',
    });
    return true;
  };
}
