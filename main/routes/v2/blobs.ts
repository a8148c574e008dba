/** @module `GET|HEAD|DELETE /v2/<name>/blobs/<digest>` (distribution-spec "Pulling blobs", "Deleting blobs"). */
import { authorizedRepository, requires, requiresBlobPull } from '../../middleware/access.js';
import { Hono, type Context } from 'hono';
import { parseDigest, type Digest } from '../../../src/oci/digest.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { OciError } from '../../../src/oci/errors.js';
import { clientAddress, sendStream } from '../../../src/http/node-bindings.js';
import type { CachesModule } from '../../caches/caches-module.js';
import type { RedirectDecision } from '../../caches/redirects.js';
import type { Registry } from '../../registry/registry.js';
import { planBlobResponse } from '../../../src/http/blob-headers.js';

export interface BlobRoutesDeps {
  registry: Registry;
  deleteEnabled: boolean;
  caches: Pick<CachesModule, 'redirects' | 'metrics'>;
  /**
   * With `--blobs-redirect` on S3: a short-lived presigned URL of the blob, where GETs that main
   * would serve itself are sent (307), so the bytes go from S3 to the client directly.
   */
  presignBlob?: (digest: Digest) => Promise<string>;
}

/** A client's pull (redirected or served here), or a content cache fetching a blob (never redirected). */
type BlobDecision = RedirectDecision | { kind: 'cache-fetch'; fetch: 'miss' | 'warm' };

/** What the access log says of a blob GET: `redirected:<cache>`, `direct:<reason>` or `cache-fetch:<kind>`. */
export function cacheDecisionLabel(decision: BlobDecision): string {
  if (decision.kind === 'redirect') return `redirected:${decision.cache}`;
  if (decision.kind === 'direct') return `direct:${decision.reason}`;
  return `cache-fetch:${decision.fetch}`;
}

/** Edges warming their cache with a registry token say who they are; they get the bytes. */
export const EDGE_REQUEST_HEADER = 'X-Outpost-Cache';

export function blobRoutes({ registry, deleteEnabled, caches, presignBlob }: BlobRoutesDeps): Hono {
  const app = new Hono();

  /** DESIGN 3.3: a GET goes to the user's cache unless it comes from a cache. */
  async function redirectDecision(c: Context, name: RepoName, digest: Digest): Promise<BlobDecision> {
    const auth = c.get('auth');
    if (auth.viaRedirectToken) return { kind: 'cache-fetch', fetch: 'miss' };
    if (c.req.header(EDGE_REQUEST_HEADER) !== undefined) return { kind: 'cache-fetch', fetch: 'warm' };
    return caches.redirects.decide(auth.principal, name, digest, clientAddress(c));
  }

  // Hono routes HEAD to the GET handler; the body is left out below.
  app.get('/:name{.+}/blobs/:digest', requiresBlobPull(), async (c) => {
    const name = authorizedRepository(c);
    const digest = parseDigest(c.req.param('digest'));
    if (c.req.method === 'GET') {
      // The blob must exist here before anyone is sent elsewhere for it.
      await registry.blobs.stat(name, digest);
      const decision = await redirectDecision(c, name, digest);
      c.set('cacheDecision', cacheDecisionLabel(decision));
      if (decision.kind === 'redirect') {
        caches.metrics.redirects.inc({ cache: decision.cache });
        return c.body(null, 307, {
          Location: decision.location,
          'Docker-Content-Digest': digest,
          'Cache-Control': 'no-store',
        });
      }
      if (decision.kind === 'cache-fetch') caches.metrics.cacheFetches.inc({ kind: decision.fetch });
      else caches.metrics.direct.inc({ reason: decision.reason });
      // Not for caches (redirect token, edge warming): they fetch from main with a bearer token,
      // which a presigned URL must not receive, and store what they fetch.
      if (presignBlob && decision.kind === 'direct') {
        return c.body(null, 307, {
          Location: await presignBlob(digest),
          'Docker-Content-Digest': digest,
          'Cache-Control': 'no-store',
        });
      }
    }
    if (c.req.method === 'HEAD') {
      // From the index, as the redirect check above: opening costs a GET on S3, for every layer
      // a client checks before pushing it.
      const { size } = await registry.blobs.stat(name, digest);
      const noFile = { size, close: async () => {} };
      const { status, headers } = await planBlobResponse(digest, noFile, c.req.header('range'));
      return sendStream(c, { status, headers });
    }
    const blob = await registry.blobs.open(name, digest);
    const { status, headers, range, length } = await planBlobResponse(digest, blob, c.req.header('range'));
    return sendStream(c, { status, headers, body: blob.stream(range), bodyBytes: length });
  });

  app.delete('/:name{.+}/blobs/:digest', requires('delete'), async (c) => {
    const name = authorizedRepository(c);
    const digest = parseDigest(c.req.param('digest'));
    if (!deleteEnabled) throw new OciError('UNSUPPORTED', { message: 'deletes are disabled on this registry' });
    await registry.blobs.unlink(name, digest);
    return c.body(null, 202);
  });

  return app;
}
