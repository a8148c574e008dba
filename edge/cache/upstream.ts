/**
 * @module Fetching blobs from the upstream (main or the next edge) with undici.
 *
 * The same redirect token the client brought is passed as `Authorization: Bearer`, so every
 * cache in a chain is asked with main's own signed permission (warm passes a registry token
 * from main instead). Every request names this cache in `X-Outpost-Cache`: main never redirects
 * a request that carries it, so a cache cannot be sent back to a cache. A failed attempt is
 * retried once, and only before any byte has arrived: after that the caller owns the failure.
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { Digest } from '../../src/oci/digest.js';
import { OciError } from '../../src/oci/errors.js';

export type UpstreamErrorCode =
  /** Could not connect, or no answer in time. */
  | 'OUTPOST_UPSTREAM_UNAVAILABLE'
  /** Answered with an error status (see `status`). */
  | 'OUTPOST_UPSTREAM_STATUS'
  /** Answered 200 without a usable Content-Length. */
  | 'OUTPOST_UPSTREAM_PROTOCOL';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

/**
 * What the client is told when the upstream fails: its 404 stays a 404, its refusal of our
 * token a 403, and anything else (unreachable, 5xx, protocol) is 503 so clients retry.
 */
export function upstreamFailure(err: UpstreamError): OciError {
  if (err.status === 404) return new OciError('BLOB_UNKNOWN', { message: 'blob unknown to upstream' });
  if (err.status === 401 || err.status === 403)
    return new OciError('DENIED', { message: 'upstream refused the redirect token' });
  return new OciError('UNAVAILABLE', { message: 'upstream registry unavailable; try again', cause: err });
}

export interface UpstreamBlob {
  size: number;
  body: Readable;
}

export interface UpstreamTimeouts {
  connect: number;
  headers: number;
  bodyIdle: number;
}

export interface Upstream {
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  /** Opens the blob's body, with `token` as Bearer when given; throws `UpstreamError`. */
  fetchBlob(name: string, digest: Digest, token: string | undefined, signal?: AbortSignal): Promise<UpstreamBlob>;
  /** The blob's size without fetching it; throws `UpstreamError`. */
  statBlob(name: string, digest: Digest, token: string | undefined): Promise<number>;
  /** Whether the upstream answers at all (for /health). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A pooled keep-alive dispatcher with the edge's timeouts. */
export function createUpstreamDispatcher(timeouts: UpstreamTimeouts): Dispatcher {
  return new Agent({
    connect: { timeout: timeouts.connect },
    headersTimeout: timeouts.headers,
    bodyTimeout: timeouts.bodyIdle,
    keepAliveTimeout: 30_000,
    connections: 128,
  });
}

const RETRY_DELAY_MS = 200;

/** The header that names the asking cache to its upstream. */
export const CACHE_HEADER = 'x-outpost-cache';

export function createUpstream(baseUrl: string, dispatcher: Dispatcher, cacheName: string): Upstream {
  const blobUrl = (name: string, digest: Digest) => `${baseUrl}/v2/${name}/blobs/${digest}`;

  async function send(
    method: 'GET' | 'HEAD',
    name: string,
    digest: Digest,
    token: string | undefined,
    signal?: AbortSignal,
  ) {
    let lastError: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      let res: Dispatcher.ResponseData;
      try {
        res = await request(blobUrl(name, digest), {
          method,
          dispatcher,
          headers: { [CACHE_HEADER]: cacheName, ...(token !== undefined && { authorization: `Bearer ${token}` }) },
          ...(signal && { signal }),
        });
      } catch (err) {
        lastError = err;
        if (signal?.aborted) break;
        continue;
      }
      if (res.statusCode === 200) return res;
      await res.body.dump().catch(() => {});
      if (res.statusCode >= 500 && attempt === 0) {
        lastError = new UpstreamError('OUTPOST_UPSTREAM_STATUS', `upstream answered ${res.statusCode}`, res.statusCode);
        continue;
      }
      throw new UpstreamError('OUTPOST_UPSTREAM_STATUS', `upstream answered ${res.statusCode}`, res.statusCode);
    }
    if (lastError instanceof UpstreamError) throw lastError;
    throw new UpstreamError(
      'OUTPOST_UPSTREAM_UNAVAILABLE',
      `upstream ${baseUrl} unreachable: ${(lastError as Error)?.message ?? 'no answer'}`,
      undefined,
      { cause: lastError },
    );
  }

  function contentLength(res: Dispatcher.ResponseData): number {
    const size = Number(res.headers['content-length']);
    if (!Number.isSafeInteger(size) || size < 0) {
      // undici's body emits an AbortError when destroyed without one; unheard, that error
      // was an uncaught exception that took the whole edge down.
      res.body.on('error', () => {}).destroy();
      throw new UpstreamError('OUTPOST_UPSTREAM_PROTOCOL', 'upstream answered without a Content-Length');
    }
    return size;
  }

  return {
    baseUrl,
    dispatcher,
    async fetchBlob(name, digest, token, signal) {
      const res = await send('GET', name, digest, token, signal);
      return { size: contentLength(res), body: res.body };
    },
    async statBlob(name, digest, token) {
      const res = await send('HEAD', name, digest, token);
      return contentLength(res);
    },
    async ping() {
      try {
        const res = await request(`${baseUrl}/v2/`, { dispatcher, headersTimeout: 5000 });
        await res.body.dump();
        return res.statusCode < 500;
      } catch {
        return false;
      }
    },
    close: () => dispatcher.close(),
  };
}
