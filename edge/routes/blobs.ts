/** @module `GET|HEAD /v2/<name>/blobs/<digest>?token=...` on the edge: one route for hit and miss. */
import { Hono } from 'hono';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { parseDigest } from '../../src/oci/digest.js';
import { OciError } from '../../src/oci/errors.js';
import { parseRepoName } from '../../src/oci/reference.js';
import { answeredDirectly, nodeOutgoing, sendStream } from '../../src/http/node-bindings.js';
import type { BlobCache } from '../cache/blob-cache.js';
import { UpstreamError, upstreamFailure } from '../cache/upstream.js';
import type { EdgeMetrics } from '../metrics.js';
import type { RedirectVerifier } from '../redirect-auth.js';
import type { Logger } from '../../src/log/logger.js';
import { blobHeaders, planBlobResponse } from '../../src/http/blob-headers.js';
import { blobWebResponse, edgeBlobPlan, type BlobSender } from './send-cached-blob.js';
import { FRONT_MISSED_HEADER } from '../front.js';

/**
 * A GET with this header, and a redirect token from main as any pull's, asks the edge to fetch and
 * keep the blob without sending it: main's `warm-cache` job (main/caches/warm-cache-job.ts) fills
 * each node of a group with its rendezvous share this way. The token is the authority (one blob,
 * this cache's chain), so warming needs no other credential. Answer: 204, with `X-Outpost-Warmed`
 * `cached` (fetched now) or `already-cached`.
 */
export const WARM_HEADER = 'x-outpost-warm';
export const WARMED_HEADER = 'x-outpost-warmed';

export interface EdgeBlobRoutesDeps {
  cache: BlobCache;
  verifyRedirect: RedirectVerifier;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Sends an opened blob: the same function as the hot path's. */
  send: BlobSender;
}

/**
 * The token in the query wins over `Authorization`: Go clients keep the user's registry token
 * on a redirect to a host of the same parent domain, and that token means nothing here.
 */
function redirectToken(query: string | undefined, authorization: string | undefined): string {
  if (query) return query;
  const credentials = parseAuthorization(authorization);
  if (credentials !== 'malformed' && credentials?.kind === 'bearer') return credentials.token;
  throw new OciError('UNAUTHORIZED', {
    message: 'a redirect token from main is required (token query parameter or Bearer)',
  });
}

/**
 * Runs `fn`; a failure is counted under `result` and rethrown as the client's OCI error. A 503
 * (no signing keys yet) is the edge's own failure, never a refusal: it counts as an error.
 */
async function counted<T>(metrics: EdgeMetrics, result: 'denied' | 'error', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    metrics.blobRequests.inc({ result: err instanceof OciError && err.status === 503 ? 'error' : result });
    throw err instanceof UpstreamError ? upstreamFailure(err) : err;
  }
}

export function edgeBlobRoutes({ cache, verifyRedirect, metrics, logger, send }: EdgeBlobRoutesDeps): Hono {
  const app = new Hono();

  app.get('/:name{.+}/blobs/:digest', async (c) => {
    const started = performance.now();
    const name = parseRepoName(c.req.param('name'));
    const digest = parseDigest(c.req.param('digest'));
    const token = await counted(metrics, 'denied', async () => {
      let presented: string;
      try {
        presented = redirectToken(c.req.query('token'), c.req.header('authorization'));
      } catch (err) {
        // Refusals of a presented token are logged by the verifier; this one had none.
        logger.info('redirect token refused', { reason: 'OUTPOST_TOKEN_MISSING', repository: name, digest });
        metrics.redirectTokenRefusals.inc({ reason: 'OUTPOST_TOKEN_MISSING' });
        throw err;
      }
      await verifyRedirect(presented, name, digest);
      return presented;
    });
    if (c.req.method === 'HEAD') {
      const { size, result } = await counted(metrics, 'error', () => cache.stat(name, digest, token));
      metrics.blobRequests.inc({ result });
      c.set('cacheDecision', result);
      return sendStream(c, { status: 200, headers: blobHeaders(digest, size) });
    }

    if (c.req.header(WARM_HEADER) !== undefined) {
      // Not counted as a hit or miss: those are the clients' requests.
      const status = await counted(metrics, 'error', () => cache.prefetch(name, digest, token));
      return c.body(null, 204, { [WARMED_HEADER]: status });
    }

    const blob = await counted(metrics, 'error', () => cache.open(name, digest, token));
    const plan = edgeBlobPlan(await planBlobResponse(digest, blob, c.req.header('range')));
    metrics.blobRequests.inc({ result: blob.result });
    c.set('cacheDecision', blob.result);
    const outgoing = nodeOutgoing(c);
    if (!outgoing) return blobWebResponse(blob, plan);
    // nginx asking again for a file it found missing: this time the edge sends the bytes.
    const status = send(
      outgoing,
      blob,
      plan,
      started,
      c.req.header(FRONT_MISSED_HEADER) === undefined ? digest : undefined,
    );
    return answeredDirectly(c, status, status === 499 ? 0 : plan.length);
  });

  return app;
}
