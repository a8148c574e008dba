/** @module Reading small request bodies (manifests, JSON) with a hard size limit. */

/**
 * Collects at most `maxBytes` from `body`; when more arrive, the rest is read and dropped and
 * then `tooLarge()` (which throws) is called, so an oversized body is never held whole.
 *
 * The body is read to its end on purpose: leaving a request body half-read (throwing out of the
 * loop) stalls Node's parser on that keep-alive connection, and the client's next request on
 * it is never answered.
 */
export async function readLimited(body: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => never): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total <= maxBytes) chunks.push(chunk);
  }
  if (total > maxBytes) tooLarge();
  return Buffer.concat(chunks, total);
}

/** Whether the request announces a body (RFC 9112 section 6.3). */
export function hasBody(headers: { get(name: string): string | null | undefined }): boolean {
  const length = headers.get('content-length');
  if (length !== null && length !== undefined) return Number(length) > 0;
  return headers.get('transfer-encoding') !== null && headers.get('transfer-encoding') !== undefined;
}
