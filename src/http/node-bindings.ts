/**
 * @module Access to Node's request and response under `@hono/node-server`, with Web fallbacks.
 *
 * Blob bodies are the hot path: writing a file stream straight to Node's `ServerResponse` and
 * reading uploads straight from `IncomingMessage` avoid a Web Streams layer per chunk. Under
 * `app.request()` (unit tests) there is no Node socket, and the Web objects are used instead.
 */
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { API_VERSION, API_VERSION_HEADER } from './headers.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Status written directly to Node's response (the Hono response is a placeholder then). */
    sentStatus?: number;
    /** Body bytes of the response, for metrics. */
    sentBytes?: number;
    /** The client's address as a trusted proxy reported it (main's middleware/client-address.ts). */
    clientAddress?: string;
  }
}

/** The context variable that overrides the peer address (set only behind trusted proxies). */
export const CLIENT_ADDRESS = 'clientAddress';

interface NodeEnv {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

function nodeEnv(c: Context): NodeEnv {
  return (c.env ?? {}) as NodeEnv;
}

/**
 * The client's IP address: the one resolved behind a trusted proxy when set, else the peer's
 * ('unknown' outside a Node server, as under `app.request()`).
 */
export function clientAddress(c: Context): string {
  return c.get(CLIENT_ADDRESS) ?? nodeEnv(c).incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The request body as an async iterable of bytes (empty when there is none). */
export function requestBody(c: Context): AsyncIterable<Uint8Array> {
  const { incoming } = nodeEnv(c);
  if (incoming) return incoming;
  const body = c.req.raw.body;
  return body ? Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  /** Omitted for HEAD; otherwise exactly Content-Length bytes. */
  body?: Readable;
  bodyBytes?: number;
  /**
   * Send the status line and headers now instead of with the first body byte. For bodies whose
   * first byte may be long in coming (an edge range waiting on a download in flight), so that
   * the client's response-header timeout does not fire while the server is working.
   */
  flushHeaders?: boolean;
}

/**
 * Sends a streamed response. On a stream error the socket is destroyed, so the client sees a
 * truncated transfer and never a short body that looks complete.
 *
 * `pipe` rather than `stream.pipeline`: pipeline creates an AbortController per call and
 * aborts it at the end, building a DOMException with a stack trace for every response, which
 * was the largest single cost of a small hit on the edge (`node --cpu-prof`).
 */
export function sendStream(c: Context, res: StreamResponse): Response {
  const headers = { ...res.headers, [API_VERSION_HEADER]: API_VERSION };
  const { outgoing } = nodeEnv(c);
  // HEAD (no body) goes through Hono as usual: Hono answers HEAD by running the GET route and
  // wrapping its response, which must then be a real one.
  if (!res.body || !outgoing) {
    return new Response(res.body ? (Readable.toWeb(res.body) as ReadableStream) : null, {
      status: res.status,
      headers,
    });
  }
  const body = res.body;
  // The client may have gone while the route was opening the blob: 'close' has fired already
  // and will not again, so the stream (and its file) must be released here, not left to the
  // garbage collector (DEP0137; 358 open handles after 30 aborted downloads).
  if (isClosed(outgoing)) {
    body.destroy();
    // Nothing was sent: metrics count it under nginx's "client closed request".
    c.set('sentStatus', 499);
    c.set('sentBytes', 0);
    return RESPONSE_ALREADY_SENT;
  }
  c.set('sentStatus', res.status);
  c.set('sentBytes', res.bodyBytes ?? 0);
  outgoing.writeHead(res.status, headers);
  if (res.flushHeaders) outgoing.flushHeaders();
  body.once('error', () => outgoing.destroy());
  // The client went away before the end: stop reading (and release the file).
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) body.destroy();
  });
  body.pipe(outgoing);
  return RESPONSE_ALREADY_SENT;
}

/**
 * Node's response under `@hono/node-server`, for a route that writes it itself (then it returns
 * `answeredDirectly`); undefined under `app.request()`.
 */
export function nodeOutgoing(c: Context): ServerResponse | undefined {
  return nodeEnv(c).outgoing;
}

/** What a route returns after writing Node's response itself: `status` and body `bytes` for metrics. */
export function answeredDirectly(c: Context, status: number, bytes: number): Response {
  c.set('sentStatus', status);
  c.set('sentBytes', bytes);
  return RESPONSE_ALREADY_SENT;
}

/** Whether the response can no longer be written: its socket closed or it was destroyed. */
export function isClosed(outgoing: ServerResponse): boolean {
  return outgoing.destroyed || outgoing.closed || outgoing.socket?.destroyed === true;
}

/** Read size of `sendFileBody`: few syscalls per GiB, one buffer per response. */
const FILE_CHUNK_BYTES = 256 * 1024;

/**
 * Writes `length` bytes of `file` from `start` to `outgoing` (its head already written) and ends
 * it: read into a buffer, write it, wait until the socket has taken it, read the next into the
 * same buffer (with `readAhead`, two buffers take turns, the next read while one is written). No
 * stream and no allocation per chunk, so a response holds one or two buffers whatever the file
 * size and the client's speed, and leaves nothing for the garbage collector. Rejects when a read
 * or write fails or the client went away (the caller then destroys the socket, so the client
 * sees a truncated transfer). The file is the caller's to close once this settled.
 */
export async function sendFileBody(
  file: FileHandle,
  outgoing: ServerResponse,
  start: number,
  length: number,
  readAhead: boolean,
): Promise<void> {
  const size = Math.max(1, Math.min(FILE_CHUNK_BYTES, length));
  // Two buffers: the next chunk is read while the previous one is being written.
  const buffers =
    readAhead && length > size
      ? [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)]
      : [Buffer.allocUnsafeSlow(size)];
  let position = start;
  let left = length;
  const readNext = async (buffer: Buffer): Promise<Buffer | undefined> => {
    if (left === 0) return undefined;
    const want = Math.min(buffer.length, left);
    const at = position;
    position += want;
    left -= want;
    const { bytesRead } = await file.read(buffer, 0, want, at);
    if (bytesRead !== want) throw new Error('file ended before the range');
    return want === buffer.length ? buffer : buffer.subarray(0, want);
  };
  // The client may hang up between writes: a write on a destroyed socket may never call back.
  let closed = isClosed(outgoing);
  const onClose = () => {
    closed = true;
  };
  outgoing.once('close', onClose);
  let turn = 0;
  let next = readNext(buffers[0]!);
  try {
    for (let chunk = await next; chunk !== undefined; chunk = await next) {
      if (closed) throw new Error('client closed the connection');
      // With one buffer the next read must wait for the write: the socket may still hold this
      // buffer (not a copy) until its callback, and reading into it early corrupts the body.
      const ahead = buffers.length > 1;
      if (ahead) {
        turn = (turn + 1) % buffers.length;
        next = readNext(buffers[turn]!);
      }
      const written = chunk;
      await new Promise<void>((resolve, reject) => {
        const onGone = () => reject(new Error('client closed the connection'));
        outgoing.once('close', onGone);
        outgoing.write(written, (err) => {
          outgoing.off('close', onGone);
          if (err) reject(err);
          else resolve();
        });
      });
      if (!ahead) next = readNext(buffers[0]!);
    }
    // Every byte is with the socket: the file is no longer needed, whatever becomes of it.
    outgoing.end();
  } finally {
    outgoing.off('close', onClose);
    // A read still running must finish before the caller may close the file.
    await next.catch(() => undefined);
  }
}
