/** @module `GET|HEAD /v2/<name>/blobs/<digest>?token=...` on the edge: one route for hit and miss. */
import { Hono } from 'hono';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { parseDigest } from '../../src/oci/digest.js';
import { OciError } from '../../src/oci/errors.js';
import { parseRepoName } from '../../src/oci/reference.js';
import { sendBytes, sendFile, sendStream } from '../../src/http/node-bindings.js';
import type { BlobCache } from '../cache/blob-cache.js';
import { UpstreamError, upstreamFailure } from '../cache/upstream.js';
import type { EdgeMetrics } from '../metrics.js';
import type { RedirectVerifier } from '../redirect-auth.js';
import type { Logger } from '../../src/log/logger.js';
import { blobHeaders, planBlobResponse } from '../../src/http/blob-headers.js';
import { FRONT_MISSED_HEADER, type HandOffHit } from '../front.js';

export interface EdgeBlobRoutesDeps {
  cache: BlobCache;
  verifyRedirect: RedirectVerifier;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Front mode: hits are handed to the server in front (edge/front.ts) instead of being sent. */
  handOffHit?: HandOffHit | undefined;
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

/** Runs `fn`; a failure is counted under `result` and rethrown as the client's OCI error. */
async function counted<T>(metrics: EdgeMetrics, result: 'denied' | 'error', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    metrics.requests.inc({ result });
    throw err instanceof UpstreamError ? upstreamFailure(err) : err;
  }
}

/**
 * Hits from disk read ahead (two buffers per response, the next chunk read while one is
 * written) while fewer than this many are being sent; beyond, one buffer each, so that memory
 * stays bounded under many concurrent downloads (100 clients of a 256 MiB blob: see load/).
 */
const READ_AHEAD_MAX_SENDS = 8;

const NO_BODY = new Uint8Array(0);

export function edgeBlobRoutes({ cache, verifyRedirect, metrics, logger, handOffHit }: EdgeBlobRoutesDeps): Hono {
  const app = new Hono();
  let fileSends = 0;

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
        throw err;
      }
      await verifyRedirect(presented, name, digest);
      return presented;
    });
    if (c.req.method === 'HEAD') {
      const { size, result } = await counted(metrics, 'error', () => cache.stat(name, digest, token));
      metrics.requests.inc({ result });
      return sendStream(c, { status: 200, headers: blobHeaders(digest, size) });
    }

    const blob = await counted(metrics, 'error', () => cache.open(name, digest, token));
    const {
      status,
      headers: responseHeaders,
      range,
      length,
    } = await planBlobResponse(digest, blob, c.req.header('range'));
    metrics.requests.inc({ result: blob.result });
    if (handOffHit && blob.result === 'hit' && c.req.header(FRONT_MISSED_HEADER) === undefined) {
      // Front mode, once the token and the range were checked: nginx sends the file (edge/front.ts).
      await blob.close();
      metrics.frontHandOffs.inc();
      metrics.requestDuration.observe({ result: blob.result }, (performance.now() - started) / 1000);
      return sendBytes(c, { status: 200, headers: handOffHit(digest), body: NO_BODY });
    }
    if (blob.bytes) {
      // A small hot blob held in memory: one write, no stream.
      metrics.servedBytes.inc(length);
      metrics.requestDuration.observe({ result: blob.result }, (performance.now() - started) / 1000);
      return sendBytes(c, {
        status,
        headers: responseHeaders,
        body: range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes,
      });
    }
    if (blob.file) {
      // A hit from disk: reused buffers, no stream (see sendFile).
      fileSends++;
      return sendFile(c, {
        status,
        headers: responseHeaders,
        file: blob.file,
        start: range?.start ?? 0,
        end: range?.end ?? blob.size - 1,
        readAhead: fileSends <= READ_AHEAD_MAX_SENDS,
        done: (error) => {
          fileSends--;
          void blob.close();
          if (error) return;
          metrics.servedBytes.inc(length);
          metrics.requestDuration.observe({ result: blob.result }, (performance.now() - started) / 1000);
        },
      });
    }
    const body = blob.stream(range);
    body.once('end', () => {
      metrics.servedBytes.inc(length);
      metrics.requestDuration.observe({ result: blob.result }, (performance.now() - started) / 1000);
    });
    return sendStream(c, {
      status,
      headers: responseHeaders,
      body,
      bodyBytes: length,
      // A download in flight may not have this body's first byte yet (a range further on).
      flushHeaders: blob.result !== 'hit',
    });
  });

  return app;
}
