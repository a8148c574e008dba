/** @module Reading small request bodies (manifests, JSON, forms) with a hard size limit. */
import type { MiddlewareHandler } from 'hono';
import { requestBody } from './node-bindings.js';

/** Whether the request announces a body (RFC 9112 section 6.3). */
export function hasBody(headers: { get(name: string): string | null | undefined }): boolean {
  const length = headers.get('content-length');
  if (length !== null && length !== undefined) return Number(length) > 0;
  return headers.get('transfer-encoding') !== null && headers.get('transfer-encoding') !== undefined;
}

/** A request body over the limit of the route that reads it; the surface maps it to 413. */
export class BodyTooLargeError extends Error {
  readonly code = 'OUTPOST_BODY_TOO_LARGE';

  constructor(readonly maxBytes: number) {
    super(`the request body is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a small request body (a form, a JSON document) of at most `maxBytes`, or throws
 * `BodyTooLargeError` without reading the rest: at once when Content-Length announces more,
 * and as soon as a chunked body passes the limit. It never waits for the end of an oversized
 * body, so a client streaming without end gets its answer while it sends and main holds at
 * most `maxBytes`. What is left unread is drained briefly by
 * `@hono/node-server` after the answer, which then closes the connection (its `drainIncoming`).
 */
export async function readBoundedBody(
  body: AsyncIterable<Uint8Array>,
  headers: { get(name: string): string | null | undefined },
  maxBytes: number,
): Promise<Buffer> {
  const announced = headers.get('content-length');
  if (announced !== null && announced !== undefined && Number(announced) > maxBytes) {
    throw new BodyTooLargeError(maxBytes);
  }
  // Node's IncomingMessage: leaving the loop early must not destroy it (that would destroy the
  // socket, and the 413 could never be sent).
  type Iterable = AsyncIterable<Uint8Array>;
  const readable = body as Iterable & { iterator?(options: { destroyOnReturn: boolean }): Iterable };
  const source = typeof readable.iterator === 'function' ? readable.iterator({ destroyOnReturn: false }) : body;
  return collectAtMost(source, maxBytes, () => {
    throw new BodyTooLargeError(maxBytes);
  });
}

/**
 * The chunks of `source` joined, at most `maxBytes` of them: as soon as more arrive,
 * `tooLarge()` is called, which throws (what becomes of the rest of `source` is its business).
 * Shared by request bodies (here) and response bodies (read-response.ts).
 */
export async function collectAtMost(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  tooLarge: () => never,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > maxBytes) tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Middleware for routes that parse their body with Hono (`c.req.parseBody()`): reads it with
 * `readBoundedBody` first and hands the handler a request holding those bytes. Requests that
 * announce no body pass untouched. `tooLarge` (which throws) turns the refusal into the
 * surface's own error; without it `BodyTooLargeError` flies.
 */
export function boundedBody(maxBytes: number, tooLarge?: () => never): MiddlewareHandler {
  return async function limitBody(c, next) {
    if (!hasBody(c.req.raw.headers)) return next();
    const bytes = await readBoundedBody(requestBody(c), c.req.raw.headers, maxBytes).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError && tooLarge) tooLarge();
      throw err;
    });
    const { headers, signal } = c.req.raw;
    c.req.raw = new Request(c.req.url, { method: c.req.method, headers, body: bytes, signal });
    await next();
  };
}
