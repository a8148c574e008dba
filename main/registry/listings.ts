/**
 * @module Content discovery: tags of a repository, the catalog, and referrers of a manifest.
 *
 * Lists are read in order from the metadata owner, so `last` + `n` pagination reads n + 1 items
 * after `last`, whatever the repository's size.
 */
import { OciError } from '../../src/oci/errors.js';
import type { Digest } from '../../src/oci/digest.js';
import type { RepoName } from '../../src/oci/reference.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { Descriptor } from '../../src/oci/manifest.js';
import type { RegistryMetadata } from '../metadata/registry.js';

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
  tags(repo: RepoName, page: Page): Promise<PageResult>;
  /** Names of repositories for which `visible` holds, in lexical order. */
  catalog(page: Page, visible: (repository: string) => Promise<boolean>): Promise<PageResult>;
  /** Manifests whose subject is `digest`, optionally of one artifact type. */
  referrers(repo: RepoName, digest: Digest, artifactType?: string): Promise<ReferrersIndex>;
}

// Repositories read per batch while the catalog filters them by visibility.
const CATALOG_BATCH = 200;

const toPage = (items: string[], n: number): PageResult =>
  items.length > n ? { items: items.slice(0, n), more: true } : { items, more: false };

export function createListings(metadata: RegistryMetadata): Listings {
  return {
    async tags(repo, page) {
      if (!(await metadata.getRepository(repo))) throw new OciError('NAME_UNKNOWN', { detail: { name: repo } });
      const tags = await metadata.listTags(repo, {
        limit: page.n + 1,
        ...(page.last !== undefined && { after: page.last }),
      });
      return toPage(
        tags.map((tag) => tag.name),
        page.n,
      );
    },

    async catalog(page, visible) {
      const items: string[] = [];
      let after = page.last;
      while (items.length <= page.n) {
        const batch = await metadata.listRepositories({ limit: CATALOG_BATCH, ...(after !== undefined && { after }) });
        for (const { name } of batch) if (items.length <= page.n && (await visible(name))) items.push(name);
        if (batch.length < CATALOG_BATCH) break;
        after = batch[batch.length - 1]!.name;
      }
      return toPage(items, page.n);
    },

    async referrers(repo, digest, artifactType) {
      const manifests: Descriptor[] = [];
      for (const entry of await metadata.listReferrers(repo, digest)) {
        if (artifactType !== undefined && entry.artifactType !== artifactType) continue;
        manifests.push({
          mediaType: entry.mediaType,
          digest: entry.digest,
          size: entry.size,
          ...(entry.artifactType !== undefined && { artifactType: entry.artifactType }),
          ...(entry.annotations && { annotations: entry.annotations }),
        });
      }
      return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
    },
  };
}
