/**
 * @module Front mode (`front: nginx`): nginx in front of the edge terminates TLS and sends hits
 * from the edge's store itself, with `sendfile`, once the edge has authorized the request
 * (Node has no sendfile; nginx spends a fraction of the edge's CPU per GB sent). The edge
 * answers a verified hit with no body and `X-Accel-Redirect: /_outpost_blobs/<path in store>`,
 * which nginx follows to an `internal` location over the store's blobs directory
 * (edge/nginx-config.ts prints that configuration). Misses, HEAD, refusals, ranges that
 * cannot be satisfied and everything else are answered by the edge as always, through nginx.
 *
 * Only the edge's configuration turns this on, never anything in a request: an edge without
 * nginx in front would answer hits with an empty body.
 *
 * Readers and eviction: the edge lets go of the blob as soon as it has answered, before nginx
 * opens the file, so the cache's reader count does not cover nginx's send. Once nginx has
 * the file open an eviction cannot cut the send short: the store deletes a blob by unlinking
 * it, and on Linux an unlinked file stays readable through every descriptor still open on it.
 * An eviction in the moment between the edge's answer and nginx's open() makes the file
 * missing: nginx then asks the edge again with FRONT_MISSED_HEADER, and the edge sends that
 * blob itself (or fetches it as a miss, since it is no longer cached).
 *
 * That header can only make the edge do the work itself, never hand anything off: nginx strips
 * it from clients' requests anyway.
 */
import { API_VERSION, API_VERSION_HEADER } from '../src/http/headers.js';
import type { Digest } from '../src/oci/digest.js';
import { frontBlobPath } from '../src/store/fs-front-paths.js';

/** The internal location nginx serves the store's blobs directory at (never reachable from outside). */
export const FRONT_BLOBS_LOCATION = '/_outpost_blobs/';

/** Sent by nginx when the file of a hit handed off was missing: send it yourself this time. */
export const FRONT_MISSED_HEADER = 'X-Outpost-Front-Missed';

/** What serves hits from disk: the edge itself, or nginx in front of it. */
export const FRONT_MODES = ['none', 'nginx'] as const;
export type FrontMode = (typeof FRONT_MODES)[number];

/** All the headers of a verified hit handed to the front server, written as they are; the response has no body. */
export type HandOffHit = (digest: Digest) => Record<string, string>;

/** Front mode `nginx`: `X-Accel-Redirect` to the blob's file under FRONT_BLOBS_LOCATION. */
export function nginxHandOff(digest: Digest): Record<string, string> {
  return {
    'X-Accel-Redirect': `${FRONT_BLOBS_LOCATION}${frontBlobPath(digest)}`,
    // nginx keeps Content-Type across the redirect; the internal location adds the other two
    // from these ($upstream_http_*). Content-Length and Accept-Ranges are nginx's, for its
    // file (with 206 and Content-Range for a Range): sent here too, they would come twice.
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    // This response has no body: nginx can keep its connection to the edge for the next one.
    'Content-Length': '0',
    [API_VERSION_HEADER]: API_VERSION,
  };
}

/** The hand-off of a front mode; undefined when the edge sends hits itself. */
export function handOffFor(mode: FrontMode): HandOffHit | undefined {
  return mode === 'nginx' ? nginxHandOff : undefined;
}
