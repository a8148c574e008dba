/**
 * @module Bytes cut into the parts of one S3 multipart upload, in bounded memory: the part being
 * filled plus at most one part on the wire. Used by staging (s3-staging.ts) and by resumable
 * uploads (s3-blob-uploads.ts), which keep what is left (less than a part) for the caller.
 */
import type { S3Objects } from './s3-objects.js';

/** S3's smallest part (all but the last); S3-compatible servers enforce it too. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
// Parts grow by the base size every 1,000 parts, so 10,000 parts of an 8 MiB base hold ~430 GiB
// while a small blob still needs only one part's worth of memory.
const PARTS_PER_STEP = 1_000;

export function partSizeFor(partNumber: number, baseBytes: number): number {
  return baseBytes * (1 + Math.floor((partNumber - 1) / PARTS_PER_STEP));
}

/** A part S3 holds: what CompleteMultipartUpload needs, and its size. */
export interface SentPart {
  etag: string;
  size: number;
}

export class PartSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> = Promise.resolve();
  // A part that fails while the next one fills is remembered here, never left as an unhandled
  // rejection, and thrown at the next step.
  private failure: { error: unknown } | undefined;
  readonly parts: SentPart[];
  uploadId: string | undefined;

  constructor(
    private readonly objects: S3Objects,
    readonly key: string,
    private readonly partBytes: number,
    resume: { uploadId?: string; parts?: SentPart[] } = {},
  ) {
    this.uploadId = resume.uploadId;
    this.parts = [...(resume.parts ?? [])];
  }

  /** Buffers `chunk`, and sends a part once a part's worth is buffered. */
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes >= partSizeFor(this.parts.length + 1, this.partBytes)) await this.send(this.take());
  }

  /** Bytes buffered and not sent. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Takes the buffered bytes (less than a part) out of the sink. */
  take(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  /** Sends `body` as the next part (the last part may be smaller than S3's minimum). */
  async send(body: Buffer): Promise<void> {
    this.uploadId ??= await this.objects.createMultipart(this.key);
    await this.settle();
    const partNumber = this.parts.length + 1;
    if (partNumber > MAX_PARTS) throw new Error(`a blob of more than ${MAX_PARTS} parts cannot be stored`);
    const part: SentPart = { etag: '', size: body.byteLength };
    this.parts.push(part);
    this.inFlight = this.objects.uploadPart(this.key, this.uploadId, partNumber, body).then(
      (sent) => void (part.etag = sent.ETag ?? ''),
      (error: unknown) => void (this.failure ??= { error }),
    );
  }

  /** Waits for the part on the wire; throws its failure. */
  async settle(): Promise<void> {
    await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  async complete(): Promise<void> {
    await this.settle();
    if (this.uploadId === undefined) throw new Error('no multipart upload to complete');
    const parts = this.parts.map((p, i) => ({ PartNumber: i + 1, ETag: p.etag }));
    await this.objects.completeMultipart(this.key, this.uploadId, parts);
  }

  /** Waits for the part on the wire, ignoring its failure, and aborts the upload. */
  async abort(): Promise<void> {
    await this.inFlight;
    if (this.uploadId !== undefined) await this.objects.abortMultipart(this.key, this.uploadId).catch(() => {});
  }
}
