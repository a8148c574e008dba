/**
 * @module The one function that sends a cached blob to a client, for the blob route and the hot
 * path alike: each kind of `CachedBlob` the way it is cheapest (memory: one write; file: reused
 * buffers, no stream; download: a stream that follows it), the same status and headers for all,
 * the same metrics, and the blob closed once its body is sent or failed.
 *
 * It writes Node's response itself. A failed read or write destroys the socket: the client sees
 * a truncated transfer, never a short body that looks complete.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { BlobResponsePlan } from '../../src/http/blob-headers.js';
import { API_VERSION, API_VERSION_HEADER } from '../../src/http/headers.js';
import { isClosed, sendFileBody } from '../../src/http/node-bindings.js';
import type { CachedBlob } from '../cache/cached-blob.js';
import type { HandOffHit } from '../front.js';
import type { Digest } from '../../src/oci/digest.js';
import type { EdgeMetrics } from '../metrics.js';

/**
 * Hits from disk read ahead (two buffers per response, the next chunk read while one is
 * written) while fewer than this many are being sent; beyond, one buffer each, so that memory
 * stays bounded under many concurrent downloads (100 clients of a 256 MiB blob: see load/).
 */
const READ_AHEAD_MAX_SENDS = 8;

export interface BlobSenderOptions {
  metrics: EdgeMetrics;
  /**
   * Front mode (edge/front.ts): a verified hit is answered with these headers and no body, and
   * the server in front (nginx) sends the file itself, ranges included.
   */
  handOffHit?: HandOffHit | undefined;
}

/**
 * Sends `blob` as `plan` says on `outgoing` (status line not yet written) and closes it when
 * done; `started` is `performance.now()` when the request arrived. Returns the status written,
 * 499 when the client had gone already (nothing was sent). The plan's headers are written as
 * they are: the plan comes from `edgeBlobPlan`.
 */
export type BlobSender = (
  outgoing: ServerResponse,
  blob: CachedBlob,
  plan: BlobResponsePlan,
  started: number,
  /**
   * In front mode, the blob's digest when the front server may send this hit; omitted when it
   * asked the edge to send it itself (the file it was handed was gone).
   */
  handOffAs?: Digest,
) => number;

/**
 * `plan` with every header of the edge's answer, the API version included, in one object the
 * sender hands to Node as it is. Why one object: building the headers per request (a spread
 * with a computed key) and Node's walk over such an object cost more than a tenth of a small
 * hit (`load/by-hand/edge-small-hits.sh`); the hot path builds this once per blob and reuses it.
 */
export function edgeBlobPlan(plan: BlobResponsePlan): BlobResponsePlan {
  return { ...plan, headers: { ...plan.headers, [API_VERSION_HEADER]: API_VERSION } };
}

export function createBlobSender({ metrics, handOffHit }: BlobSenderOptions): BlobSender {
  let fileSends = 0;
  const served = (blob: CachedBlob, plan: BlobResponsePlan, started: number) => {
    metrics.servedBytes.inc(plan.length);
    metrics.requestDuration.observe({ result: blob.result }, (performance.now() - started) / 1000);
  };
  return (outgoing, blob, plan, started, handOffAs) => {
    // The client may have gone while the blob was being opened: 'close' fired already and will
    // not again, so the blob is released here rather than left open.
    if (isClosed(outgoing)) {
      void blob.close();
      return 499;
    }
    // A download still committing has no file in the store yet: the edge sends that one.
    if (handOffHit && handOffAs && blob.result === 'hit' && blob.kind !== 'download') {
      void blob.close();
      outgoing.writeHead(200, handOffHit(handOffAs));
      outgoing.end();
      metrics.frontHandOffs.inc();
      metrics.requestDuration.observe({ result: blob.result }, (performance.now() - started) / 1000);
      return 200;
    }
    const { headers, range } = plan;
    switch (blob.kind) {
      case 'memory': {
        // Status line, headers and body in one write.
        outgoing.writeHead(plan.status, headers);
        outgoing.end(range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes);
        served(blob, plan, started);
        return plan.status;
      }
      case 'file': {
        fileSends++;
        outgoing.writeHead(plan.status, headers);
        const start = range?.start ?? 0;
        void sendFileBody(blob.file, outgoing, start, plan.length, fileSends <= READ_AHEAD_MAX_SENDS).then(
          () => {
            fileSends--;
            void blob.close();
            served(blob, plan, started);
          },
          () => {
            fileSends--;
            outgoing.destroy();
            void blob.close();
          },
        );
        return plan.status;
      }
      case 'download': {
        const body = blob.stream(range);
        outgoing.writeHead(plan.status, headers);
        // A download in flight may not have this body's first byte yet (a range further on):
        // the client's response-header timeout must not fire meanwhile.
        outgoing.flushHeaders();
        body.once('end', () => served(blob, plan, started));
        body.once('error', () => outgoing.destroy());
        // The client went away before the end: stop reading (the blob closes with its stream).
        outgoing.once('close', () => {
          if (!outgoing.writableFinished) body.destroy();
        });
        body.pipe(outgoing);
        return plan.status;
      }
    }
  };
}

/**
 * The same answer as a Web `Response`, for where there is no Node response to write (Hono's
 * `app.request()`); the blob is closed once its body is read or cancelled.
 */
export function blobWebResponse(blob: CachedBlob, plan: BlobResponsePlan): Response {
  const { headers, range } = plan;
  let body: Readable;
  if (blob.kind === 'memory') {
    body = Readable.from([range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes]);
  } else if (blob.kind === 'download') {
    body = blob.stream(range);
  } else if (plan.length === 0) {
    body = Readable.from([]);
  } else {
    const start = range?.start ?? 0;
    body = blob.file.createReadStream({ start, end: start + plan.length - 1, autoClose: false });
  }
  body.once('close', () => void blob.close());
  return new Response(Readable.toWeb(body) as ReadableStream, { status: plan.status, headers });
}
