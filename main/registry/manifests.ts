/**
 * @module Manifests of a repository: validated put, get by tag or digest, delete.
 *
 * A put checks that everything the manifest references is already in the repository
 * (`MANIFEST_BLOB_UNKNOWN` otherwise), then writes manifest, tag, referrer entry and the push
 * event at once (`RegistryMetadata.putManifest`), so a reader never sees a tag pointing at a
 * manifest that is not there, nor a push without its event.
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
import type { ManifestRecord, RegistryMetadata } from '../metadata/registry.js';

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
  /**
   * Stores a manifest; a put by tag records a `push` event by `actor` (and `tag` when it moved
   * the tag) with it. `MANIFEST_INVALID`, `DIGEST_INVALID`, `MANIFEST_BLOB_UNKNOWN`, or `DENIED`
   * for a tag that is immutable; nothing is written on a refusal.
   */
  put(
    repo: RepoName,
    reference: Reference,
    bytes: Uint8Array,
    contentType: string | undefined,
    actor: string,
  ): Promise<PutManifestResult>;
  /** The manifest, or `MANIFEST_UNKNOWN`. */
  get(repo: RepoName, reference: Reference): Promise<StoredManifest>;
  /**
   * By digest: the manifest, its tags and its referrer entry go (event `delete`). By tag: only
   * the tag (event `untag`). `MANIFEST_UNKNOWN` when there is nothing to delete; `DENIED`
   * (nothing removed) in a repository with immutable tags for a tag, or for a manifest that a
   * tag points to.
   */
  delete(repo: RepoName, reference: Reference, actor: string): Promise<void>;
  /** Resolves a reference to a digest without loading the bytes; undefined when unknown. */
  resolve(repo: RepoName, reference: Reference): Promise<Digest | undefined>;
}

export interface ManifestsDeps {
  metadata: RegistryMetadata;
  now: () => number;
  maxManifestBytes: number;
  /** Told of every manifest stored, after the put (scan on push); must not throw or block. */
  onManifestStored?: (repo: RepoName, digest: Digest) => void;
}

export function createManifests({ metadata, now, maxManifestBytes, onManifestStored }: ManifestsDeps): Manifests {
  const unknown = (repo: RepoName, reference: Reference) =>
    new OciError('MANIFEST_UNKNOWN', {
      detail: { name: repo, reference: reference.kind === 'tag' ? reference.tag : reference.digest },
    });

  /**
   * The record to store. Its `blobs` (an image's config and layers, foreign layers excepted)
   * and `children` (an index's manifests) must be in this repository (spec "Pushing
   * Manifests"); `putManifest` checks that inside its transaction.
   */
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

  const resolve = (repo: RepoName, reference: Reference) => metadata.resolve(repo, reference);

  return {
    resolve,

    async put(repo, reference, bytes, contentType, actor) {
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
      const tag = reference.kind === 'tag' ? reference.tag : undefined;
      const outcome = await metadata.putManifest({ repo, digest, record, actor, ...(tag !== undefined && { tag }) });
      if (outcome.kind === 'missing') {
        throw new OciError('MANIFEST_BLOB_UNKNOWN', {
          message: `manifest references ${outcome.count} unknown blob(s) or manifest(s)`,
          detail: { digests: outcome.digests },
        });
      }
      if (outcome.kind === 'immutable') {
        throw new OciError('DENIED', {
          message:
            `tag ${tag} is immutable in ${repo}: it already points to ${outcome.current}; ` + 'push a new tag instead',
          detail: { tag, digest: outcome.current },
        });
      }
      onManifestStored?.(repo, digest);
      return {
        digest,
        ...(manifest.subject && { subject: manifest.subject.digest }),
        ...(outcome.movedFrom && { movedFrom: outcome.movedFrom }),
      };
    },

    async get(repo, reference) {
      const digest = await resolve(repo, reference);
      const record = digest && (await metadata.getManifest(repo, digest));
      if (!digest || !record) throw unknown(repo, reference);
      return { digest, ...record, bytes: record.bytes };
    },

    async delete(repo, reference, actor) {
      const outcome =
        reference.kind === 'tag'
          ? await metadata.deleteTag(repo, reference.tag, actor, now())
          : await metadata.deleteManifest(repo, reference.digest, actor, now());
      if (outcome.kind === 'unknown') throw unknown(repo, reference);
      if (outcome.kind !== 'immutable') return;
      if (reference.kind === 'tag') {
        throw new OciError('DENIED', {
          message:
            `tag ${reference.tag} is immutable in ${repo}: it cannot be deleted or moved; ` +
            'deleting the whole repository is the only way to remove it',
          detail: { tag: reference.tag, digest: outcome.digest },
        });
      }
      throw new OciError('DENIED', {
        message:
          `tags are immutable in ${repo} and ${outcome.count} tag(s) point to ${reference.digest} ` +
          `(${outcome.tags.slice(0, 5).join(', ')}): it cannot be deleted; ` +
          'deleting the whole repository is the only way to remove it',
        detail: { digest: reference.digest, tags: outcome.tags },
      });
    },
  };
}
