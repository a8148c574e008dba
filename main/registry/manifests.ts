/**
 * @module Manifests of a repository: validated put, get by tag or digest, delete.
 *
 * A put checks that everything the manifest references is already in the repository
 * (`MANIFEST_BLOB_UNKNOWN` otherwise), then writes manifest, tag and referrer entries in one
 * LMDB transaction, so a reader never sees a tag pointing at a manifest that is not there.
 *
 * In a repository with immutable tags a tag, once pushed, names the same manifest for as long as
 * the repository exists: it cannot be moved by a put, deleted, or removed with its manifest.
 * Deleting the whole repository (accounts/repositories.ts) still removes everything.
 */
import { OciError } from '../../src/oci/errors.js';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { parseManifest, effectiveArtifactType, type Manifest } from '../../src/oci/manifest.js';
import { isForeignLayer } from '../../src/oci/media-types.js';
import type { Reference, RepoName } from '../../src/oci/reference.js';
import { key, prefixRange, splitKey } from '../../src/store/lmdb.js';
import type { ManifestRecord, MetadataDb } from './metadata-db.js';
import type { RepositoryBlobs } from './repository-blobs.js';

export interface StoredManifest extends ManifestRecord {
  digest: Digest;
}

export interface PutManifestResult {
  digest: Digest;
  /** Set when the manifest has a subject: the response carries `OCI-Subject`. */
  subject?: Digest;
  /** Set when the put moved an existing tag: the digest it pointed to before. */
  movedFrom?: Digest;
}

export interface Manifests {
  put(
    repo: RepoName,
    reference: Reference,
    bytes: Uint8Array,
    contentType: string | undefined,
  ): Promise<PutManifestResult>;
  /** The manifest, or `MANIFEST_UNKNOWN`. */
  get(repo: RepoName, reference: Reference): StoredManifest;
  /**
   * By digest: the manifest, its tags and its referrer entry go. By tag: only the tag.
   * `MANIFEST_UNKNOWN` when there is nothing to delete; `DENIED` (nothing removed) in a
   * repository with immutable tags for a tag, or for a manifest that a tag points to.
   */
  delete(repo: RepoName, reference: Reference): Promise<void>;
  /** Resolves a reference to a digest without loading the bytes; undefined when unknown. */
  resolve(repo: RepoName, reference: Reference): Digest | undefined;
}

export interface ManifestsDeps {
  db: MetadataDb;
  blobs: RepositoryBlobs;
  now: () => number;
  maxManifestBytes: number;
}

export function createManifests({ db, blobs, now, maxManifestBytes }: ManifestsDeps): Manifests {
  const unknown = (repo: RepoName, reference: Reference) =>
    new OciError('MANIFEST_UNKNOWN', {
      detail: { name: repo, reference: reference.kind === 'tag' ? reference.tag : reference.digest },
    });

  function resolve(repo: RepoName, reference: Reference): Digest | undefined {
    if (reference.kind === 'digest')
      return db.manifests.doesExist(key(repo, reference.digest)) ? reference.digest : undefined;
    return db.tags.get(key(repo, reference.tag))?.digest;
  }

  /** Everything the manifest points at must be in this repository (spec "Pushing Manifests"). */
  function checkReferences(repo: RepoName, manifest: Manifest): void {
    const missing: Digest[] = [];
    if (manifest.kind === 'image') {
      for (const d of [manifest.config, ...manifest.layers]) {
        if (!isForeignLayer(d.mediaType) && !blobs.has(repo, d.digest)) missing.push(d.digest);
      }
    } else {
      for (const d of manifest.manifests) if (!db.manifests.doesExist(key(repo, d.digest))) missing.push(d.digest);
    }
    if (missing.length > 0) {
      throw new OciError('MANIFEST_BLOB_UNKNOWN', {
        message: `manifest references ${missing.length} unknown blob(s) or manifest(s)`,
        detail: { digests: missing.slice(0, 20) },
      });
    }
  }

  function toRecord(bytes: Uint8Array, manifest: Manifest): ManifestRecord {
    const record: ManifestRecord = {
      mediaType: manifest.mediaType,
      size: bytes.byteLength,
      bytes,
      blobs:
        manifest.kind === 'image'
          ? [manifest.config, ...manifest.layers].filter((d) => !isForeignLayer(d.mediaType)).map((d) => d.digest)
          : [],
      children: manifest.kind === 'index' ? manifest.manifests.map((d) => d.digest) : [],
      createdAt: now(),
    };
    if (manifest.subject) record.subject = manifest.subject.digest;
    const artifactType = effectiveArtifactType(manifest);
    if (artifactType !== undefined) record.artifactType = artifactType;
    if (manifest.annotations) record.annotations = manifest.annotations;
    return record;
  }

  return {
    resolve,

    async put(repo, reference, bytes, contentType) {
      if (bytes.byteLength > maxManifestBytes) {
        throw new OciError('MANIFEST_INVALID', {
          status: 413,
          message: `manifest larger than ${maxManifestBytes} bytes`,
        });
      }
      const digest = digestOf(
        bytes,
        reference.kind === 'digest' ? (reference.digest.startsWith('sha512:') ? 'sha512' : 'sha256') : 'sha256',
      );
      if (reference.kind === 'digest' && reference.digest !== digest) {
        throw new OciError('DIGEST_INVALID', {
          message: 'manifest content does not match the digest in the URL',
          detail: { expected: reference.digest, actual: digest },
        });
      }
      const manifest = parseManifest(bytes, contentType);
      const record = toRecord(bytes, manifest);
      const movedFrom = await db.transaction((): Digest | undefined => {
        // Checked inside the transaction so a concurrent garbage collection cannot remove a
        // blob between the check and the reference that protects it.
        checkReferences(repo, manifest);
        // Every refusal is decided before the first write (and the transaction rolls back
        // anyway on a throw): a refused push must leave no manifest that would keep its blobs.
        const repository = db.repositories.get(repo);
        const previous = reference.kind === 'tag' ? db.tags.get(key(repo, reference.tag)) : undefined;
        if (reference.kind === 'tag' && previous && previous.digest !== digest && repository?.immutableTags) {
          throw new OciError('DENIED', {
            message:
              `tag ${reference.tag} is immutable in ${repo}: it already points to ${previous.digest}; ` +
              'push a new tag instead',
            detail: { tag: reference.tag, digest: previous.digest },
          });
        }
        for (const blob of record.blobs) db.blobRefs.put(key(blob, repo, digest), true);
        if (!repository) db.repositories.put(repo, { createdAt: record.createdAt });
        const existing = db.manifests.get(key(repo, digest));
        db.manifests.put(key(repo, digest), existing ? { ...record, createdAt: existing.createdAt } : record);
        if (reference.kind === 'tag') db.tags.put(key(repo, reference.tag), { digest, updatedAt: record.createdAt });
        if (manifest.subject) {
          db.referrers.put(key(repo, manifest.subject.digest, digest), {
            mediaType: record.mediaType,
            size: record.size,
            ...(record.artifactType !== undefined && { artifactType: record.artifactType }),
            ...(record.annotations && { annotations: record.annotations }),
          });
        }
        return previous && previous.digest !== digest ? previous.digest : undefined;
      });
      return { digest, ...(manifest.subject && { subject: manifest.subject.digest }), ...(movedFrom && { movedFrom }) };
    },

    get(repo, reference) {
      const digest = resolve(repo, reference);
      const record = digest && db.manifests.get(key(repo, digest));
      if (!digest || !record) throw unknown(repo, reference);
      return { digest, ...record, bytes: record.bytes };
    },

    async delete(repo, reference) {
      const deleted = await db.transaction(() => {
        // Every refusal is decided before the first write: a refused delete removes nothing.
        const immutable = db.repositories.get(repo)?.immutableTags === true;
        if (reference.kind === 'tag') {
          const tagged = db.tags.get(key(repo, reference.tag));
          if (!tagged) return false;
          if (immutable) {
            throw new OciError('DENIED', {
              message:
                `tag ${reference.tag} is immutable in ${repo}: it cannot be deleted or moved; ` +
                'deleting the whole repository is the only way to remove it',
              detail: { tag: reference.tag, digest: tagged.digest },
            });
          }
          db.tags.remove(key(repo, reference.tag));
          return true;
        }
        const record = db.manifests.get(key(repo, reference.digest));
        if (!record) return false;
        const tagKeys = [...db.tags.getRange(prefixRange([repo]))]
          .filter(({ value }) => value.digest === reference.digest)
          .map(({ key: tagKey }) => tagKey);
        // Deleting the manifest would delete its tags with it, which is a tag delete too.
        if (immutable && tagKeys.length > 0) {
          const tags = tagKeys.map((tagKey) => splitKey(tagKey)[1]!);
          throw new OciError('DENIED', {
            message:
              `tags are immutable in ${repo} and ${tags.length} tag(s) point to ${reference.digest} ` +
              `(${tags.slice(0, 5).join(', ')}): it cannot be deleted; ` +
              'deleting the whole repository is the only way to remove it',
            detail: { digest: reference.digest, tags: tags.slice(0, 20) },
          });
        }
        db.manifests.remove(key(repo, reference.digest));
        for (const blob of record.blobs) db.blobRefs.remove(key(blob, repo, reference.digest));
        for (const tagKey of tagKeys) db.tags.remove(tagKey);
        if (record.subject) db.referrers.remove(key(repo, record.subject, reference.digest));
        return true;
      });
      if (!deleted) throw unknown(repo, reference);
    },
  };
}
