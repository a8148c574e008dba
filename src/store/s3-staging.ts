/**
 * @module Streams bytes into one S3 object while hashing them, in bounded memory, and only lets
 * the object appear once the bytes are verified.
 *
 * A body that fits in one part is sent with one PutObject after it is verified; a larger one goes
 * through a multipart upload (the part being filled, plus at most one part on the wire) that is
 * completed only after the digest and size are checked. Any failure (the source's, S3's, a
 * mismatch) aborts the upload, so nothing of a failed write remains; the source's own error is
 * passed on as it is.
 */
import type { CompletedPart } from '@aws-sdk/client-s3';
import { createDigestHasher, digestAlgorithm, type Digest } from '../oci/digest.js';
import type { StageExpectation } from './blob-store.js';
import { DigestMismatchError, SizeMismatchError } from './errors.js';
import type { S3Objects } from './s3-objects.js';

/** S3's smallest part (all but the last); S3-compatible servers enforce it too. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
// Parts grow by the base size every 1,000 parts, so 10,000 parts of an 8 MiB base hold ~430 GiB
// while a small blob still needs only one part's worth of memory.
const PARTS_PER_STEP = 1_000;

export function partSizeFor(partNumber: number, baseBytes: number): number {
  return baseBytes * (1 + Math.floor((partNumber - 1) / PARTS_PER_STEP));
}

export interface WrittenObject {
  digest: Digest;
  size: number;
}

export async function writeObjectHashed(
  objects: S3Objects,
  key: string,
  source: AsyncIterable<Uint8Array>,
  expect: StageExpectation,
  partBytes: number,
): Promise<WrittenObject> {
  const hasher = createDigestHasher(expect.digest ? digestAlgorithm(expect.digest) : 'sha256');
  let size = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  // A part that fails while the next one fills is remembered here, never left as an unhandled
  // rejection, and thrown at the next step.
  let partFailure: { error: unknown } | undefined;

  const takePending = (): Buffer => {
    const body = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return body;
  };
  const sendPart = async (body: Buffer): Promise<void> => {
    uploadId ??= await objects.createMultipart(key);
    await inFlight;
    if (partFailure) throw partFailure.error;
    const partNumber = parts.length + 1;
    if (partNumber > MAX_PARTS) throw new Error(`a blob of more than ${MAX_PARTS} parts cannot be stored`);
    parts.push({ PartNumber: partNumber });
    const id = uploadId;
    inFlight = objects.uploadPart(key, id, partNumber, body).then(
      (part) => void (parts[partNumber - 1] = part),
      (error: unknown) => void (partFailure ??= { error }),
    );
  };

  try {
    for await (const chunk of source) {
      hasher.update(chunk);
      size += chunk.byteLength;
      // Past the expected size the write has failed; keep counting for the error, store nothing more.
      if (expect.size !== undefined && size > expect.size) continue;
      if (chunk.byteLength === 0) continue;
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= partSizeFor(parts.length + 1, partBytes)) await sendPart(takePending());
    }
    const digest = hasher.digest();
    if (expect.size !== undefined && size !== expect.size) throw new SizeMismatchError(expect.size, size);
    if (expect.digest !== undefined && digest !== expect.digest) throw new DigestMismatchError(expect.digest, digest);
    if (uploadId === undefined) {
      await objects.put(key, takePending());
    } else {
      if (pendingBytes > 0) await sendPart(takePending());
      await inFlight;
      if (partFailure) throw partFailure.error;
      await objects.completeMultipart(key, uploadId, parts);
    }
    return { digest, size };
  } catch (err) {
    await inFlight;
    if (uploadId !== undefined) await objects.abortMultipart(key, uploadId).catch(() => {});
    throw err;
  }
}
