/** @module Content discovery: `/v2/<name>/tags/list`, `/v2/_catalog`, `/v2/<name>/referrers/<digest>`. */
import { authorizedRepository, requires, requiresCatalog } from '../../middleware/access.js';
import { Hono } from 'hono';
import { OciError } from '../../../src/oci/errors.js';
import { parseDigest } from '../../../src/oci/digest.js';
import { MAX_NAME_LENGTH, MAX_TAG_LENGTH } from '../../../src/oci/reference.js';
import { MediaType } from '../../../src/oci/media-types.js';
import type { Page, PageResult } from '../../registry/listings.js';
import type { Registry } from '../../registry/registry.js';

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;

/**
 * `n` and `last` (spec "Listing Tags"). `last` is an item of the list, so it is never longer
 * than `maxLast` (a tag, a repository name); a longer one is refused before it reaches LMDB,
 * whose keys have a size limit (lmdb-js throws past about 1,978 bytes).
 */
function parsePage(n: string | undefined, last: string | undefined, maxLast: { length: number; what: string }): Page {
  const size = n === undefined ? DEFAULT_PAGE : Number(n);
  if (!/^\d+$/.test(n ?? '0') || size > MAX_PAGE) {
    throw new OciError('PAGINATION_NUMBER_INVALID', {
      message: `n must be an integer from 0 to ${MAX_PAGE}`,
      detail: { n },
    });
  }
  if (last !== undefined && last.length > maxLast.length) {
    throw new OciError('PAGINATION_NUMBER_INVALID', {
      message: `last must be ${maxLast.what} of at most ${maxLast.length} characters`,
      detail: { lastLength: last.length },
    });
  }
  return { n: size, ...(last !== undefined && { last }) };
}

const LAST_TAG = { length: MAX_TAG_LENGTH, what: 'a tag' };
const LAST_REPOSITORY = { length: MAX_NAME_LENGTH, what: 'a repository name' };

/** RFC 8288 `Link` to the next page, as the spec's "Listing Tags" describes. */
function nextLink(path: string, page: Page, result: PageResult): string | undefined {
  const last = result.items[result.items.length - 1];
  if (!result.more || last === undefined) return undefined;
  return `<${path}?n=${page.n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export function listingRoutes({ registry }: { registry: Registry }): Hono {
  const app = new Hono();
  const { listings } = registry;

  app.get('/_catalog', requiresCatalog(), async (c) => {
    const page = parsePage(c.req.query('n'), c.req.query('last'), LAST_REPOSITORY);
    // Only what the caller may pull (issue 9, item 8): private names stay private.
    const result = await listings.catalog(page, (repository) => c.var.auth.mayList(repository));
    const link = nextLink('/v2/_catalog', page, result);
    if (link) c.header('Link', link);
    return c.json({ repositories: result.items });
  });

  app.get('/:name{.+}/tags/list', requires('pull'), async (c) => {
    const name = authorizedRepository(c);
    const page = parsePage(c.req.query('n'), c.req.query('last'), LAST_TAG);
    const result = await listings.tags(name, page);
    const link = nextLink(`/v2/${name}/tags/list`, page, result);
    if (link) c.header('Link', link);
    return c.json({ name, tags: result.items });
  });

  app.get('/:name{.+}/referrers/:digest', requires('pull'), async (c) => {
    const name = authorizedRepository(c);
    const digest = parseDigest(c.req.param('digest'));
    const artifactType = c.req.query('artifactType');
    const index = await listings.referrers(name, digest, artifactType);
    if (artifactType !== undefined) c.header('OCI-Filters-Applied', 'artifactType');
    return c.body(JSON.stringify(index), 200, { 'Content-Type': MediaType.OciIndex });
  });

  return app;
}
