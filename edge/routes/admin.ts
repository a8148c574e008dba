/**
 * @module The operator's API under `/api/v0/cache`, behind a bearer token read from a file:
 * stats, warm (with NDJSON progress), resolve, pin and unpin, purge.
 *
 *	GET    /stats               { name, blobs, bytes, maxBytes, pinned, hits }
 *	POST   /warm                { reference, username?, password?, pin? } -> NDJSON lines (edge/cache/warm.ts)
 *	POST   /resolve             { reference, username?, password? } -> { reference, manifests, blobs }
 *	PUT    /pins/<digest>       pin a cached blob
 *	DELETE /pins/<digest>       unpin it
 *	DELETE /blobs/<digest>      purge it
 *
 * The main credentials in warm and resolve bodies are used for one token request and never logged.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseAuthorization } from '../../src/auth/challenge.js';
import { parseDigest } from '../../src/oci/digest.js';
import { OciError } from '../../src/oci/errors.js';
import type { Logger } from '../../src/log/logger.js';
import type { BlobCache } from '../cache/blob-cache.js';
import type { CacheIndex } from '../cache/cache-index.js';
import { MainClientError, mainClientFailure, type MainClient } from '../cache/main-client.js';
import { planWarm, runWarm, type WarmPlan, type WarmRequest } from '../cache/warm.js';

export interface EdgeAdminRoutesDeps {
  adminToken: string;
  cache: BlobCache;
  index: CacheIndex;
  name: string;
  maxBytes: number;
  /** Main's registry API, for warm and resolve. */
  main: MainClient;
  logger: Logger;
}

/** Reads `{ reference, username?, password?, pin? }`; throws 400 on anything else. */
async function readWarmBody(body: Promise<unknown>): Promise<WarmRequest & { pin: boolean }> {
  const bad = (why: string) =>
    new OciError('UNSUPPORTED', {
      status: 400,
      message: `expected JSON {"reference", "username"?, "password"?, "pin"?}: ${why}`,
    });
  const value = await body.catch(() => {
    throw bad('the body is not JSON');
  });
  if (typeof value !== 'object' || value === null) throw bad('the body is not an object');
  const { reference, username, password, pin } = value as Record<string, unknown>;
  if (typeof reference !== 'string' || reference.length === 0) throw bad('reference is required');
  if ((username === undefined) !== (password === undefined)) throw bad('give username and password together');
  if (username !== undefined && (typeof username !== 'string' || typeof password !== 'string'))
    throw bad('username and password must be strings');
  if (pin !== undefined && typeof pin !== 'boolean') throw bad('pin must be true or false');
  return {
    reference,
    pin: pin === true,
    ...(typeof username === 'string' && { credentials: { username, password: password as string } }),
  };
}

/** Plans a warm, turning main's failures into the operator's error answers. */
async function plan(main: MainClient, request: WarmRequest): Promise<WarmPlan> {
  try {
    return await planWarm(main, request);
  } catch (err) {
    throw err instanceof MainClientError ? mainClientFailure(err) : err;
  }
}

const sha = (value: string) => createHash('sha256').update(value).digest();

// A warm or resolve request is a reference and maybe credentials: a few hundred bytes.
const MAX_BODY_BYTES = 64 * 1024;

export function edgeAdminRoutes({ adminToken, cache, index, name, maxBytes, main, logger }: EdgeAdminRoutesDeps): Hono {
  const app = new Hono();
  const expected = sha(adminToken);

  app.use('*', async function requireOperator(c, next) {
    const credentials = parseAuthorization(c.req.header('authorization'));
    // Compare hashes in constant time, so neither length nor content leaks through timing.
    if (
      credentials === 'malformed' ||
      credentials?.kind !== 'bearer' ||
      !timingSafeEqual(sha(credentials.token), expected)
    ) {
      throw new OciError('UNAUTHORIZED', {
        message: 'the operator token is required',
        headers: { 'WWW-Authenticate': 'Bearer realm="outpost-edge"' },
      });
    }
    await next();
  });

  // Checked after the operator token, so a stranger's body is never read at all.
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      // The rest of the body is not read: the connection is closed after the answer.
      onError: () => {
        const message = `the request body is larger than ${MAX_BODY_BYTES} bytes`;
        throw new OciError('SIZE_INVALID', { status: 413, message, headers: { Connection: 'close' } });
      },
    }),
  );

  app.get('/stats', (c) => {
    let pinned = 0;
    let hits = 0;
    for (const { entry } of index.entries()) {
      if (entry.pinned) pinned++;
      hits += entry.hits;
    }
    return c.json({ name, blobs: index.count, bytes: index.bytes, maxBytes, pinned, hits });
  });

  app.post('/warm', async (c) => {
    const request = await readWarmBody(c.req.json());
    const warmPlan = await plan(main, request);
    logger.info('warm started', {
      reference: request.reference,
      manifests: warmPlan.manifests.length,
      blobs: warmPlan.blobs.length,
    });
    const abort = new AbortController();
    const progress = runWarm(cache, warmPlan, { pin: request.pin, signal: abort.signal });
    const encoder = new TextEncoder();
    // Pulled by the response: the next blob starts when the operator's client has read the line
    // before; a client that hangs up stops the warm after the blob in progress.
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await progress.next();
        if (next.done) {
          controller.close();
          return;
        }
        if (next.value.type === 'summary') logger.info('warm finished', { ...next.value });
        controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      },
      cancel() {
        abort.abort();
      },
    });
    return c.body(body, 200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  });

  app.post('/resolve', async (c) => {
    const request = await readWarmBody(c.req.json());
    const { manifests, blobs } = await plan(main, request);
    return c.json({
      reference: request.reference,
      manifests,
      blobs: blobs.map(({ digest, size, mediaType }) => ({ digest, size, mediaType })),
    });
  });

  app.put('/pins/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'));
    if (!(await cache.setPinned(digest, true)))
      throw new OciError('BLOB_UNKNOWN', { message: 'blob is not cached on this edge', detail: { digest } });
    return c.json({ digest, pinned: true });
  });

  app.delete('/pins/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'));
    if (!(await cache.setPinned(digest, false)))
      throw new OciError('BLOB_UNKNOWN', { message: 'blob is not cached on this edge', detail: { digest } });
    return c.json({ digest, pinned: false });
  });

  app.delete('/blobs/:digest', async (c) => {
    const digest = parseDigest(c.req.param('digest'));
    if (!(await cache.purge(digest)))
      throw new OciError('BLOB_UNKNOWN', { message: 'blob is not cached on this edge', detail: { digest } });
    return c.body(null, 204);
  });

  return app;
}
