/**
 * @module Content discovery: tags of a repository, the catalog, and referrers of a manifest.
 *
 * Lists are read straight from LMDB's ordered keys, so `last` + `n` pagination is a range
 * scan that starts after `last` and stops after n items, whatever the repository's size.
 */
import { OciError } from '../../src/oci/errors.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { Descriptor } from '../../src/oci/manifest.js';
import { prefixRange, splitKey } from '../../src/store/lmdb.js';
import type { MetadataDb } from './metadata-db.js';

export interface Page {
  /** Maximum items; the caller has already bounded it. */
  n: number;
  /** Return items strictly after this one (lexical order). */
  last?: string;
}

export interface PageResult {
  items: string[];
  /** True when more items follow the last one returned. */
  more: boolean;
}

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof MediaType.OciIndex;
  manifests: Descriptor[];
}

export interface Listings {
  /** Tags in lexical order; `NAME_UNKNOWN` for a repository that does not exist. */
  tags(repo: RepoName, page: Page): PageResult;
  /** Names of repositories for which `visible` holds, in lexical order. */
  catalog(page: Page, visible: (repository: string) => Promise<boolean>): Promise<PageResult>;
  /** Manifests whose subject is `digest`, optionally of one artifact type. */
  referrers(repo: RepoName, digest: Digest, artifactType?: string): ReferrersIndex;
}

function takePage(keys: Iterable<string>, n: number): PageResult {
  const items: string[] = [];
  for (const item of keys) {
    if (items.length === n) return { items, more: true };
    items.push(item);
  }
  return { items, more: false };
}

export function createListings(db: MetadataDb): Listings {
  return {
    tags(repo, page) {
      if (!db.repositories.doesExist(repo)) throw new OciError('NAME_UNKNOWN', { detail: { name: repo } });
      const range = prefixRange([repo], page.last);
      return takePage(
        db.tags.getKeys(range).map((k) => splitKey(k)[1]!),
        page.n,
      );
    },

    async catalog(page, visible) {
      const items: string[] = [];
      let start = page.last !== undefined ? `${page.last}\u0000` : undefined;
      // In batches: `visible` awaits, and no LMDB read may stay open across an await.
      for (;;) {
        const batch = [...db.repositories.getKeys({ ...(start !== undefined && { start }), limit: 100 })];
        for (const name of batch) {
          if (!(await visible(name))) continue;
          if (items.length === page.n) return { items, more: true };
          items.push(name);
        }
        if (batch.length < 100) return { items, more: false };
        start = `${batch[batch.length - 1]!}\u0000`;
      }
    },

    referrers(repo, digest, artifactType) {
      const manifests: Descriptor[] = [];
      for (const { key: k, value } of db.referrers.getRange(prefixRange([repo, digest]))) {
        if (artifactType !== undefined && value.artifactType !== artifactType) continue;
        manifests.push({
          mediaType: value.mediaType,
          digest: splitKey(k)[2] as Digest,
          size: value.size,
          ...(value.artifactType !== undefined && { artifactType: value.artifactType }),
          ...(value.annotations && { annotations: value.annotations }),
        });
      }
      return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
    },
  };
}
