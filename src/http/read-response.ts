/**
 * @module Reading small response bodies from another service (main's JSON answers) with a hard
 * size limit, so that a broken or hostile peer cannot make this process hold an unbounded body.
 *
 * Unlike `readBoundedBody` (request bodies, whose unread rest the HTTP server drains), a
 * response that grows past the limit is destroyed at once: undici then drops that connection.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { collectAtMost } from './body.js';

/** A response body larger than its limit. */
export class ResponseTooLargeError extends Error {
  readonly code = 'OUTPOST_RESPONSE_TOO_LARGE';
  constructor(
    readonly what: string,
    readonly maxBytes: number,
  ) {
    super(`${what} is larger than ${maxBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

interface ResponseBody extends AsyncIterable<Uint8Array> {
  destroy(): unknown;
}

/** The body of a `fetch` answer in the shape these readers take (empty when it has none). */
export function bodyOfFetched(res: Response): ResponseBody {
  return res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
}

/** At most `maxBytes` of `body`; throws `ResponseTooLargeError` beyond, having dropped the connection. */
export async function readResponseBytes(body: ResponseBody, maxBytes: number, what: string): Promise<Buffer> {
  return collectAtMost(body, maxBytes, () => {
    body.destroy();
    throw new ResponseTooLargeError(what, maxBytes);
  });
}

/** At most `maxBytes` of `body`, as text; throws `ResponseTooLargeError` beyond. */
export async function readResponseText(body: ResponseBody, maxBytes: number, what: string): Promise<string> {
  return (await readResponseBytes(body, maxBytes, what)).toString('utf8');
}

/** At most `maxBytes` of `body`, parsed as JSON; throws `ResponseTooLargeError` or `SyntaxError`. */
export async function readResponseJson(body: ResponseBody, maxBytes: number, what: string): Promise<unknown> {
  return JSON.parse(await readResponseText(body, maxBytes, what)) as unknown;
}
