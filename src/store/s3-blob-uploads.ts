/**
 * @module Resumable uploads of the S3 store: one S3 multipart upload per session, whose state
 * (upload id, parts, the tail) is the opaque JSON the caller keeps with its session record, so any
 * replica continues any session. Private to s3-blob-store.ts.
 *
 * S3 wants every part but the last to be at least 5 MiB, and clients send chunks of any size.
 * Each `append` therefore sends whole parts only, and keeps what is left (less than a part) as a
 * small "tail" object of its own; the next `append` reads that tail back and sends it ahead of its
 * new bytes, and `complete` copies it in as the last part (UploadPartCopy, no download).
 *
 * An append never changes what an earlier state refers to: parts go to part numbers past the
 * state's, tails get fresh keys. So an append whose result was never recorded (a crash, a failed
 * chunk) is simply overwritten or left out by the next one from the recorded state. The tail
 * that a recorded state replaced is deleted by the append after it (the caller has moved on), and
 * `abort` removes everything of the session.
 *
 * The digest of a session appended in order on this process is computed as the bytes pass;
 * otherwise (another replica appended, a restart, sha512) `complete` reads the assembled object
 * back once. Either way it is verified before `commit` can make it visible.
 */
import type { CompletedPart } from '@aws-sdk/client-s3';
import { createDigestHasher, digestAlgorithm, type Digest, type DigestHasher } from '../oci/digest.js';
import type { AppendOptions, BlobUploads, StagedBlob, UploadState } from './blob-store.js';
import { DigestMismatchError, SizeMismatchError } from './errors.js';
import type { S3Keys } from './s3-keys.js';
import type { S3Objects } from './s3-objects.js';
import { PartSink, type SentPart } from './s3-part-sink.js';

/** The state of a session, as kept by the caller. */
interface SessionState {
  /** The S3 multipart upload of `uploads/<id>/data`, once a whole part was sent. */
  uploadId: string | null;
  parts: SentPart[];
  /** Bytes after the last part, in an object of their own. */
  tail: { key: string; size: number } | null;
  /** The tail the previous state had, which nothing needs once this state is recorded. */
  stale: string | null;
}

const EMPTY: SessionState = { uploadId: null, parts: [], tail: null, stale: null };

const sizeOf = (state: SessionState): number =>
  state.parts.reduce((sum, part) => sum + part.size, 0) + (state.tail?.size ?? 0);

export class S3BlobUploads implements BlobUploads {
  /** The running hash of sessions appended in order here, and the offset it reached. */
  private readonly hashers = new Map<string, { hasher: DigestHasher; offset: number }>();

  constructor(
    private readonly objects: S3Objects,
    private readonly keys: S3Keys,
    private readonly partBytes: number,
    /** Hands out a staged blob whose bytes are the object at `key` (s3-blob-store.ts owns handles). */
    private readonly staged: (key: string, digest: Digest, size: number) => StagedBlob,
  ) {}

  async begin(id: string): Promise<UploadState> {
    const marker = this.keys.uploadSession(id);
    if (await this.objects.head(marker)) throw new Error(`upload session ${id} already exists`);
    await this.objects.put(marker, new Uint8Array(0));
    this.hashers.set(id, { hasher: createDigestHasher('sha256'), offset: 0 });
    return toJson(EMPTY);
  }

  async append(
    id: string,
    stateJson: UploadState,
    offset: number,
    source: AsyncIterable<Uint8Array>,
    options: AppendOptions = {},
  ): Promise<{ size: number; state: UploadState }> {
    const state = this.parse(id, stateJson);
    if (offset !== sizeOf(state)) {
      throw new Error(`upload session ${id}: offset ${offset} is not the ${sizeOf(state)} bytes of its state`);
    }
    const running = this.hashers.get(id);
    const hasher = running?.offset === offset ? running.hasher : undefined;
    // From here the running hash is only valid again if this chunk lands whole.
    this.hashers.delete(id);
    if (state.stale !== null) await this.objects.delete(state.stale).catch(() => {});

    const sink = new PartSink(this.objects, this.keys.uploadData(id), this.partBytes, {
      ...(state.uploadId !== null && { uploadId: state.uploadId }),
      parts: state.parts,
    });
    let written = 0;
    let tail: SessionState['tail'] = null;
    try {
      if (state.tail) await sink.write(await this.read(state.tail.key, state.tail.size));
      for await (const chunk of source) {
        written += chunk.byteLength;
        // Past the announced length the chunk has failed; keep counting for the error only.
        if (options.length !== undefined && written > options.length) continue;
        hasher?.update(chunk);
        await sink.write(chunk);
      }
      if (options.length !== undefined && written !== options.length) {
        throw new SizeMismatchError(options.length, written);
      }
      await sink.settle();
      const rest = sink.take();
      if (rest.byteLength > 0) {
        tail = { key: this.keys.newUploadTail(id), size: rest.byteLength };
        await this.objects.put(tail.key, rest);
      }
      // Rewritten so that list() knows when the session last changed (parts are not listed).
      await this.objects.put(this.keys.uploadSession(id), new Uint8Array(0));
    } catch (err) {
      // Parts past the state's are left for the next append to overwrite; never aborted here.
      await sink.settle().catch(() => {});
      throw err;
    }
    if (hasher) this.hashers.set(id, { hasher, offset: offset + written });
    const next: SessionState = {
      uploadId: sink.uploadId ?? null,
      parts: sink.parts,
      tail,
      stale: state.tail?.key ?? null,
    };
    return { size: offset + written, state: toJson(next) };
  }

  async complete(id: string, stateJson: UploadState, expect: { digest: Digest; size: number }): Promise<StagedBlob> {
    const state = this.parse(id, stateJson);
    const size = sizeOf(state);
    if (size !== expect.size) throw new SizeMismatchError(expect.size, size);
    const running = this.hashers.get(id);
    this.hashers.delete(id);
    const key = await this.assemble(id, state);
    const algorithm = digestAlgorithm(expect.digest);
    const actual =
      running && running.offset === size && running.hasher.algorithm === algorithm
        ? running.hasher.digest()
        : await this.hash(key, size, algorithm);
    if (actual !== expect.digest) throw new DigestMismatchError(expect.digest, actual);
    return this.staged(key, expect.digest, size);
  }

  /** Everything of the session goes, whatever states it went through (`state` is not needed). */
  async abort(id: string, _state?: UploadState): Promise<void> {
    this.hashers.delete(id);
    const prefix = this.keys.upload(id);
    for await (const upload of this.objects.listMultipartUploads(prefix)) {
      await this.objects.abortMultipart(upload.key, upload.uploadId);
    }
    for await (const object of this.objects.list(prefix)) await this.objects.delete(object.key);
  }

  async *list(): AsyncIterable<{ id: string; modifiedAt: number }> {
    const sessions = new Map<string, number>();
    for await (const object of this.objects.list(this.keys.uploadsPrefix)) {
      const id = this.keys.uploadIdOf(object.key);
      if (id === undefined) continue;
      const at = object.lastModified?.getTime() ?? 0;
      sessions.set(id, Math.max(sessions.get(id) ?? 0, at));
    }
    for (const [id, modifiedAt] of sessions) yield { id, modifiedAt };
  }

  /** The key of one object holding the session's bytes: its multipart upload completed. */
  private async assemble(id: string, state: SessionState): Promise<string> {
    if (state.uploadId === null) {
      if (state.tail) return state.tail.key;
      const key = this.keys.uploadData(id);
      await this.objects.put(key, new Uint8Array(0));
      return key;
    }
    const key = this.keys.uploadData(id);
    const parts: CompletedPart[] = state.parts.map((part, i) => ({ PartNumber: i + 1, ETag: part.etag }));
    try {
      if (state.tail) {
        const range = { start: 0, end: state.tail.size - 1 };
        const last = await this.objects.uploadPartCopy(key, state.uploadId, parts.length + 1, state.tail.key, range);
        if (!last) throw new Error(`upload session ${id}: its last bytes are gone (aborted meanwhile?)`);
        parts.push(last);
      }
      await this.objects.completeMultipart(key, state.uploadId, parts);
    } catch (err) {
      // A completion retried after one that worked: the upload id is gone, the object is there.
      if ((await this.objects.head(key))?.size !== sizeOf(state)) throw err;
    }
    return key;
  }

  private async read(key: string, size: number): Promise<Buffer> {
    const got = await this.objects.get(key);
    if (!got) throw new Error(`upload object ${key} is gone (aborted meanwhile?)`);
    const chunks: Buffer[] = [];
    for await (const chunk of got.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    if (bytes.byteLength !== size) throw new Error(`upload object ${key} holds ${bytes.byteLength} bytes, not ${size}`);
    return bytes;
  }

  private async hash(key: string, size: number, algorithm: 'sha256' | 'sha512'): Promise<Digest> {
    const got = await this.objects.get(key);
    if (!got || got.size !== size) throw new Error(`upload object ${key} is gone or has another size`);
    const hasher = createDigestHasher(algorithm);
    for await (const chunk of got.body) hasher.update(chunk as Uint8Array);
    return hasher.digest();
  }

  /** The state as the caller kept it: checked, since it comes back from a database. */
  private parse(id: string, json: UploadState): SessionState {
    const prefix = this.keys.upload(id);
    if (json === null) return EMPTY;
    const bad = () => new Error(`upload session ${id}: not a state this store wrote`);
    if (typeof json !== 'object' || Array.isArray(json)) throw bad();
    const { uploadId, parts, tail, stale } = json as Record<string, UploadState>;
    const isKey = (value: UploadState | undefined) => typeof value === 'string' && value.startsWith(prefix);
    if (uploadId !== null && typeof uploadId !== 'string') throw bad();
    if (!Array.isArray(parts)) throw bad();
    const sent = parts.map((part) => {
      const { etag, size } = (part ?? {}) as Record<string, UploadState>;
      if (typeof etag !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad();
      return { etag, size };
    });
    let tailState: SessionState['tail'] = null;
    if (tail !== null) {
      const { key, size } = (tail ?? {}) as Record<string, UploadState>;
      if (!isKey(key) || typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) throw bad();
      tailState = { key: key as string, size };
    }
    if (stale !== null && !isKey(stale)) throw bad();
    if (uploadId === null && sent.length > 0) throw bad();
    return { uploadId, parts: sent, tail: tailState, stale: stale as string | null };
  }
}

function toJson(state: SessionState): UploadState {
  return {
    uploadId: state.uploadId,
    parts: state.parts.map((p) => ({ etag: p.etag, size: p.size })),
    tail: state.tail && { key: state.tail.key, size: state.tail.size },
    stale: state.stale,
  };
}
