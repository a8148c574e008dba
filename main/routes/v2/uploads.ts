/** @module Blob uploads under `/v2/<name>/blobs/uploads/` (distribution-spec "Pushing blobs"). */
import { authorizedRepository, requires } from '../../middleware/access.js';
import { Hono, type Context } from 'hono';
import { parseDigest } from '../../../src/oci/digest.js';
import { OciError } from '../../../src/oci/errors.js';
import { parseRepoName, type RepoName } from '../../../src/oci/reference.js';
import { formatUploadRange, parseChunkRange } from '../../../src/http/range.js';
import { requestBody } from '../../../src/http/node-bindings.js';
import { hasBody } from '../../../src/http/body.js';
import type { UploadSession } from '../../registry/uploads.js';
import type { Registry } from '../../registry/registry.js';

const sessionHeaders = (name: RepoName, session: UploadSession) => ({
  Location: `/v2/${name}/blobs/uploads/${session.id}`,
  Range: formatUploadRange(session.size),
  'Docker-Upload-UUID': session.id,
});

/**
 * The repository a cross-repository mount may read: `from` (a malformed name is
 * `NAME_INVALID`, which tells nothing), when the caller may pull it (a mount is a read of
 * `from`); otherwise none, and the answer is the same ordinary upload session whether `from`
 * exists, holds the blob or not, so that 201 or 202 tells nothing the caller cannot read.
 */
async function mountSource(c: Context, from: string): Promise<RepoName | undefined> {
  const name = parseRepoName(from);
  return (await c.var.auth.may(name, 'pull')) ? name : undefined;
}

const blobCreated = (c: Context, name: RepoName, digest: string) => {
  c.header('Location', `/v2/${name}/blobs/${digest}`);
  c.header('Docker-Content-Digest', digest);
  return c.body(null, 201);
};

export function uploadRoutes({ registry }: { registry: Registry }): Hono {
  const app = new Hono();
  const { uploads, blobs } = registry;

  // POST starts a session, or stores a whole blob (?digest=), or mounts one (?mount=&from=).
  // The spec writes the path with a trailing slash; the app is not strict about it.
  app.post('/:name{.+}/blobs/uploads', requires('pull', 'push'), async (c) => {
    const name = authorizedRepository(c);
    const mount = c.req.query('mount');
    const from = c.req.query('from');
    // Without `from` nothing is looked for (no automatic content discovery): a session follows.
    if (mount !== undefined && from !== undefined) {
      const digest = parseDigest(mount);
      const source = await mountSource(c, from);
      if (source && (await blobs.mount(name, source, digest))) return blobCreated(c, name, digest);
      // Spec: when the mount cannot happen, fall back to an ordinary upload session.
    } else if (c.req.query('digest') !== undefined) {
      const digest = parseDigest(c.req.query('digest')!);
      await blobs.ingest(name, requestBody(c), { digest });
      return blobCreated(c, name, digest);
    }
    const session = await uploads.start(name);
    return c.body(null, 202, sessionHeaders(name, session));
  });

  app.patch('/:name{.+}/blobs/uploads/:uuid', requires('pull', 'push'), async (c) => {
    const name = authorizedRepository(c);
    const range = parseChunkRange(c.req.header('content-range'));
    const session = await uploads.append(name, c.req.param('uuid'), requestBody(c), range);
    return c.body(null, 202, sessionHeaders(name, session));
  });

  app.put('/:name{.+}/blobs/uploads/:uuid', requires('pull', 'push'), async (c) => {
    const name = authorizedRepository(c);
    const digestParam = c.req.query('digest');
    if (digestParam === undefined)
      throw new OciError('DIGEST_INVALID', { message: 'the digest query parameter is required to complete an upload' });
    const digest = parseDigest(digestParam);
    // The closing PUT may carry the last chunk with its Content-Range (spec "Closing a chunked upload").
    const range = parseChunkRange(c.req.header('content-range'));
    const body = hasBody(c.req.raw.headers) ? requestBody(c) : undefined;
    await uploads.complete(name, c.req.param('uuid'), digest, body, range);
    return blobCreated(c, name, digest);
  });

  // Checking one's own upload needs push alone (as distribution asks for a push scope).
  app.get('/:name{.+}/blobs/uploads/:uuid', requires('push'), async (c) => {
    const name = authorizedRepository(c);
    return c.body(null, 204, sessionHeaders(name, await uploads.get(name, c.req.param('uuid'))));
  });

  app.delete('/:name{.+}/blobs/uploads/:uuid', requires('pull', 'push'), async (c) => {
    const name = authorizedRepository(c);
    await uploads.cancel(name, c.req.param('uuid'));
    return c.body(null, 204);
  });

  return app;
}
