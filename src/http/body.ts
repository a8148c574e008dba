/** @module Reading small request bodies (manifests, JSON) with a hard size limit. */

/**
 * Collects at most `maxBytes` from `body`; calls `tooLarge()` (which throws) as soon as more
 * arrive, so an oversized body is never held whole.
 */
export async function readLimited(body: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => never): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Whether the request announces a body (RFC 9112 section 6.3). */
export function hasBody(headers: { get(name: string): string | null | undefined }): boolean {
  const length = headers.get('content-length');
  if (length !== null && length !== undefined) return Number(length) > 0;
  return headers.get('transfer-encoding') !== null && headers.get('transfer-encoding') !== undefined;
}
