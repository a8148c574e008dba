/**
 * @module Repository names, tags and references, validated by the distribution spec's grammar.
 *
 * `RepoName` and `Tag` are branded: the only way to get one is through these parsers, which
 * rules out `..`, absolute paths and control characters before a name reaches any store.
 */
import { OciError } from './errors.js';
import { isDigest, type Digest } from './digest.js';

declare const repoNameBrand: unique symbol;
declare const tagBrand: unique symbol;
export type RepoName = string & { readonly [repoNameBrand]: true };
export type Tag = string & { readonly [tagBrand]: true };

// distribution-spec "Pulling manifests": <name> grammar.
const NAME_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const MAX_TAG_LENGTH = 128;
// Many clients cap host + name at 255 characters; distribution caps the name alone at 255.
export const MAX_NAME_LENGTH = 255;

export function parseRepoName(value: string): RepoName {
  if (value.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(value)) {
    const rule = `must match ${NAME_PATTERN.source} and be at most ${MAX_NAME_LENGTH} characters`;
    throw new OciError('NAME_INVALID', {
      message: `invalid repository name: ${rule}`,
      detail: { name: value.slice(0, MAX_NAME_LENGTH + 1) },
    });
  }
  return value as RepoName;
}

export function isRepoName(value: string): value is RepoName {
  return value.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(value);
}

export function parseTag(value: string): Tag {
  if (!TAG_PATTERN.test(value)) {
    throw new OciError('MANIFEST_INVALID', {
      message: 'invalid tag: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}',
      detail: { tag: value.slice(0, 200) },
    });
  }
  return value as Tag;
}

export function isTag(value: string): value is Tag {
  return TAG_PATTERN.test(value);
}

/** A manifest reference: a tag or a digest, as in `/v2/<name>/manifests/<reference>`. */
export type Reference =
  /** A mutable name for a manifest. */
  | { kind: 'tag'; tag: Tag }
  /** The manifest's content address. */
  | { kind: 'digest'; digest: Digest };

export function parseReference(value: string): Reference {
  if (value.includes(':')) {
    if (!isDigest(value)) {
      throw new OciError('DIGEST_INVALID', {
        message: 'invalid digest reference',
        detail: { reference: value.slice(0, 200) },
      });
    }
    return { kind: 'digest', digest: value as Digest };
  }
  return { kind: 'tag', tag: parseTag(value) };
}

export function formatReference(ref: Reference): string {
  return ref.kind === 'tag' ? ref.tag : ref.digest;
}
