/** @module `GET|HEAD|DELETE /v2/<name>/blobs/<digest>` (distribution-spec "Pulling blobs", "Deleting blobs"). */
import { Hono } from 'hono';
import { parseDigest } from '../../../src/oci/digest.js';
import { parseRepoName } from '../../../src/oci/reference.js';
import { OciError } from '../../../src/oci/errors.js';
import { formatContentRange, parseRange } from '../../../src/http/range.js';
import { sendStream } from '../../../src/http/node-bindings.js';
import type { Registry } from '../../registry/registry.js';

export interface BlobRoutesDeps {
  registry: Registry;
  deleteEnabled: boolean;
}

export function blobRoutes({ registry, deleteEnabled }: BlobRoutesDeps): Hono {
  const app = new Hono();

  // Hono routes HEAD to the GET handler; the body is left out below.
  app.get('/:name{.+}/blobs/:digest', async (c) => {
    const name = parseRepoName(c.req.param('name'));
    const digest = parseDigest(c.req.param('digest'));
    const blob = await registry.blobs.open(name, digest);
    let range;
    try {
      range = parseRange(c.req.header('range'), blob.size);
    } catch (err) {
      await blob.close();
      throw err;
    }
    const length = range ? range.end - range.start + 1 : blob.size;
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(length),
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      'Accept-Ranges': 'bytes',
      ...(range && { 'Content-Range': formatContentRange(range, blob.size) }),
    };
    const status = range ? 206 : 200;
    if (c.req.method === 'HEAD') {
      await blob.close();
      return sendStream(c, { status, headers });
    }
    return sendStream(c, { status, headers, body: blob.stream(range), bodyBytes: length });
  });

  app.delete('/:name{.+}/blobs/:digest', async (c) => {
    const name = parseRepoName(c.req.param('name'));
    const digest = parseDigest(c.req.param('digest'));
    if (!deleteEnabled) throw new OciError('UNSUPPORTED', { message: 'deletes are disabled on this registry' });
    await registry.blobs.unlink(name, digest);
    return c.body(null, 202);
  });

  return app;
}
