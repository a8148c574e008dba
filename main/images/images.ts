/**
 * @module Image details as callers see them (API and web): by tag or by digest, for someone who
 * may pull the repository. Access is exactly the pull right: `Repositories.get` answers NOT_FOUND
 * for a repository the caller may not pull (anonymous on a private one, another user), the same
 * answer as for one that does not exist, so private names do not leak.
 *
 * Throws `AccountError`: NOT_FOUND (repository, tag or manifest), INVALID_INPUT (a malformed tag
 * or digest); each surface maps those once.
 */
import { isDigest, type Digest } from '../../src/oci/digest.js';
import { isTag, type RepoName } from '../../src/oci/reference.js';
import type { Principal } from '../accounts/permissions.js';
import { AccountError } from '../accounts/errors.js';
import type { Repositories } from '../accounts/repositories.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { ImageDetails, ManifestDetails } from './image-details.js';

export interface TagDetails extends ManifestDetails {
  /** The tag asked for (absent when asked by digest). */
  tag?: string;
}

export interface Images {
  /** The manifest `tag` points to, described; NOT_FOUND or INVALID_INPUT. */
  byTag(principal: Principal, name: string, tag: string): Promise<TagDetails>;
  /** The manifest `digest` of the repository, described; NOT_FOUND or INVALID_INPUT. */
  byDigest(principal: Principal, name: string, digest: string): Promise<TagDetails>;
}

export interface ImagesDeps {
  repositories: Pick<Repositories, 'get'>;
  metadata: Pick<RegistryMetadata, 'resolve'>;
  details: ImageDetails;
}

export function createImages({ repositories, metadata, details }: ImagesDeps): Images {
  async function describe(name: RepoName, digest: Digest, what: string): Promise<ManifestDetails> {
    const described = await details.describe(name, digest);
    if (!described) throw new AccountError('NOT_FOUND', `${what} does not exist in "${name}"`);
    return described;
  }

  return {
    async byTag(principal, name, tag) {
      // The pull right first: a caller who may not pull learns nothing, not even that a tag is malformed.
      await repositories.get(principal, name);
      if (!isTag(tag)) throw new AccountError('INVALID_INPUT', 'a tag is [A-Za-z0-9_][A-Za-z0-9._-]{0,127}');
      const repo = name as RepoName;
      const digest = await metadata.resolve(repo, { kind: 'tag', tag });
      if (!digest) throw new AccountError('NOT_FOUND', `tag "${tag}" does not exist in "${name}"`);
      return { tag, ...(await describe(repo, digest, `tag "${tag}"`)) };
    },

    async byDigest(principal, name, digest) {
      await repositories.get(principal, name);
      if (!isDigest(digest)) {
        throw new AccountError('INVALID_INPUT', 'a digest is sha256:<64 hex digits> or sha512:<128 hex digits>');
      }
      return describe(name as RepoName, digest as Digest, `manifest ${digest}`);
    },
  };
}
