/**
 * @module Blobs as repositories see them: a blob belongs to a repository once uploaded or
 * mounted there; its bytes are stored once however many repositories hold it.
 *
 * Commit order matters for the garbage collector running beside us (see gc.ts): the metadata link
 * is written first, then the file is linked into place, so a collector that removed the file
 * meanwhile finds the link again and restores it.
 */
import { OciError } from '../../src/oci/errors.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { BlobStore, OpenBlob, StagedBlob, StageExpectation } from '../../src/store/blob-store.js';
import { BlobNotFoundError } from '../../src/store/errors.js';
import type { RegistryMetadata } from '../metadata/registry.js';

export interface RepositoryBlobs {
  /** Size of a blob in `repo` (from the index); throws `BLOB_UNKNOWN` when it is not part of the repository. */
  stat(repo: RepoName, digest: Digest): Promise<{ size: number }>;
  /** Opens a blob of `repo` for reading; throws `BLOB_UNKNOWN`. */
  open(repo: RepoName, digest: Digest): Promise<OpenBlob>;
  /** Makes verified content part of `repo`, storing the bytes if they are new. */
  commit(repo: RepoName, content: StagedBlob): Promise<void>;
  /**
   * Stores a whole blob sent at once (`POST ?digest=`) and makes it part of `repo`. Throws
   * `DigestMismatchError` or `SizeMismatchError` when the bytes do not match; nothing is kept then.
   */
  ingest(repo: RepoName, source: AsyncIterable<Uint8Array>, expect: StageExpectation): Promise<StagedBlob>;
  /**
   * Links a blob of `from` into `repo` without copying; false when `from` does not hold it.
   * Checks no rights: the caller must have made sure the requester may pull `from` (a mount
   * is a read of `from`).
   */
  mount(repo: RepoName, from: RepoName, digest: Digest): Promise<boolean>;
  /** Removes a blob from `repo` (the bytes go when the collector finds them unused). Throws `BLOB_UNKNOWN`. */
  unlink(repo: RepoName, digest: Digest): Promise<void>;
  /** Whether `repo` holds `digest` (index only). */
  has(repo: RepoName, digest: Digest): Promise<boolean>;
}

export interface RepositoryBlobsDeps {
  metadata: RegistryMetadata;
  store: BlobStore;
  now: () => number;
}

export function createRepositoryBlobs({ metadata, store, now }: RepositoryBlobsDeps): RepositoryBlobs {
  const unknown = (digest: Digest) => new OciError('BLOB_UNKNOWN', { detail: { digest } });
  const has = (repo: RepoName, digest: Digest) => metadata.hasBlob(repo, digest);

  const repositoryBlobs: RepositoryBlobs = {
    has,

    // From the index alone: it is on every redirect's path, and a file system stat per request
    // cost more than the rest of the redirect. Index and files agree: commits write the index
    // before linking the file, and start-up repair drops entries whose file is gone.
    async stat(repo, digest) {
      const size = await metadata.blobSizeIn(repo, digest);
      if (size === undefined) throw unknown(digest);
      return { size };
    },

    async open(repo, digest) {
      if (!(await has(repo, digest))) throw unknown(digest);
      try {
        return await store.open(digest);
      } catch (err) {
        if (err instanceof BlobNotFoundError) throw unknown(digest);
        throw err;
      }
    },

    async commit(repo, content) {
      const added = await metadata.linkBlob(repo, content.digest, content.size, now());
      try {
        await store.commit(content);
      } catch (err) {
        // The file did not land (disk full, I/O error): take back the entries this commit added,
        // so the index never names a blob without its file (stat answers from the index alone).
        if ((await store.stat(content.digest).catch(() => undefined)) === undefined) {
          await metadata.revertLink(repo, content.digest, added).catch(() => {});
        }
        throw err;
      }
    },

    async ingest(repo, source, expect) {
      const staged = await store.stage(source, expect);
      try {
        await repositoryBlobs.commit(repo, staged);
      } catch (err) {
        // Not committed (disk full, I/O error): the staged bytes go now, not at the next start.
        await store.discard(staged).catch(() => {});
        throw err;
      }
      return staged;
    },

    async mount(repo, from, digest) {
      if (!(await has(from, digest))) return false;
      const info = await store.stat(digest);
      if (!info) return false;
      await metadata.linkBlob(repo, digest, info.size, now());
      // The collector may have moved the file between stat and link; it restores linked blobs.
      return (await store.stat(digest)) !== undefined;
    },

    async unlink(repo, digest) {
      if (!(await metadata.unlinkBlob(repo, digest))) throw unknown(digest);
    },
  };
  return repositoryBlobs;
}
