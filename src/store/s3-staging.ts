/**
 * @module Streams bytes into one S3 object while hashing them, in bounded memory, and only lets
 * the object appear once the bytes are verified.
 *
 * A body that fits in one part is sent with one PutObject after it is verified; a larger one goes
 * through a multipart upload (s3-part-sink.ts) that is completed only after the digest and size
 * are checked. Any failure (the source's, S3's, a mismatch) aborts the upload, so nothing of a
 * failed write remains; the source's own error is passed on as it is.
 */
import { createDigestHasher, digestAlgorithm, type Digest } from '../oci/digest.js';
import type { StageExpectation } from './blob-store.js';
import { DigestMismatchError, SizeMismatchError } from './errors.js';
import type { S3Objects } from './s3-objects.js';
import { PartSink } from './s3-part-sink.js';

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
  const sink = new PartSink(objects, key, partBytes);
  let size = 0;
  try {
    for await (const chunk of source) {
      hasher.update(chunk);
      size += chunk.byteLength;
      // Past the expected size the write has failed; keep counting for the error, store nothing more.
      if (expect.size === undefined || size <= expect.size) await sink.write(chunk);
    }
    const digest = hasher.digest();
    if (expect.size !== undefined && size !== expect.size) throw new SizeMismatchError(expect.size, size);
    if (expect.digest !== undefined && digest !== expect.digest) throw new DigestMismatchError(expect.digest, digest);
    if (sink.uploadId === undefined) {
      await objects.put(key, sink.take());
    } else {
      if (sink.buffered > 0) await sink.send(sink.take());
      await sink.complete();
    }
    return { digest, size };
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
