/**
 * @module The operator's API under `/api/v0/cache`, behind a bearer token read from a file:
 * stats, pin and unpin, purge. (Warm is added by edge/cache/warm.ts.)
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono } from 'hono';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { parseDigest } from '../../src/oci/digest.js';
import { OciError } from '../../src/oci/errors.js';
import type { BlobCache } from '../cache/blob-cache.js';
import type { CacheIndex } from '../cache/cache-index.js';

export interface EdgeAdminRoutesDeps {
  adminToken: string;
  cache: BlobCache;
  index: CacheIndex;
  name: string;
  maxBytes: number;
}

const sha = (value: string) => createHash('sha256').update(value).digest();

export function edgeAdminRoutes({ adminToken, cache, index, name, maxBytes }: EdgeAdminRoutesDeps): Hono {
  const app = new Hono();
  const expected = sha(adminToken);

  app.use('*', async function requireOperator(c, next) {
    const credentials = parseAuthorization(c.req.header('authorization'));
    // Compare hashes in constant time, so neither length nor content leaks through timing.
    if (credentials === 'malformed' || credentials?.kind !== 'bearer' || !timingSafeEqual(sha(credentials.token), expected)) {
      throw new OciError('UNAUTHORIZED', { message: 'the operator token is required', headers: { 'WWW-Authenticate': 'Bearer realm="outpost-edge"' } });
    }
    await next();
  });

  app.get('/stats', (c) => {
    let pinned = 0;
    let hits = 0;
    for (const { entry } of index.entries()) {
      if (entry.pinned) pinned++;
      hits += entry.hits;
    }
    return c.json({ name, blobs: index.count, bytes: index.bytes, maxBytes, pinned, hits });
  });

  app.put('/pins/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'));
    if (!(await cache.setPinned(digest, true))) throw new OciError('BLOB_UNKNOWN', { message: 'blob is not cached on this edge', detail: { digest } });
    return c.json({ digest, pinned: true });
  });

  app.delete('/pins/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'));
    if (!(await cache.setPinned(digest, false))) throw new OciError('BLOB_UNKNOWN', { message: 'blob is not cached on this edge', detail: { digest } });
    return c.json({ digest, pinned: false });
  });

  app.delete('/blobs/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'));
    if (!(await cache.purge(digest))) throw new OciError('BLOB_UNKNOWN', { message: 'blob is not cached on this edge', detail: { digest } });
    return c.body(null, 204);
  });

  return app;
}
