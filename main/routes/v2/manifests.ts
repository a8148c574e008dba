/** @module `/v2/<name>/manifests/<reference>`: pull, push and delete manifests. */
import { authorizedRepository, requires } from '../../middleware/access.js';
import { Hono } from 'hono';
import { OciError } from '../../../src/oci/errors.js';
import { isTag, parseReference, type Reference, type RepoName } from '../../../src/oci/reference.js';
import { isDigest } from '../../../src/oci/digest.js';
import { requestBody } from '../../../src/http/node-bindings.js';
import { BodyTooLargeError, readBoundedBody } from '../../../src/http/body.js';
import type { Registry } from '../../registry/registry.js';
import type { PullPolicy } from '../../registry/pull-policy.js';
import { actorOf } from '../../accounts/repositories.js';

export interface ManifestRoutesDeps {
  registry: Registry;
  /** The repository's refusal of images with findings (main/registry/pull-policy.ts), asked on every pull. */
  pullPolicy: PullPolicy;
  deleteEnabled: boolean;
  maxManifestBytes: number;
  /** Told of every manifest GET served (not HEAD): pull counts for pruning (main/pruning/pull-counter.ts). */
  onManifestPull?: (repo: RepoName, reference: Reference) => void;
}

// The event log (push, tag, delete, untag) records the actor from `c.var.auth`.
export function manifestRoutes({
  registry,
  pullPolicy,
  deleteEnabled,
  maxManifestBytes,
  onManifestPull,
}: ManifestRoutesDeps): Hono {
  const app = new Hono();
  const { manifests } = registry;

  app.get('/:name{.+}/manifests/:reference', requires('pull'), async (c) => {
    const name = authorizedRepository(c);
    const value = c.req.param('reference');
    // Spec: a reference that is neither a tag nor a digest names no manifest, and a pull of a
    // manifest that does not exist is 404 MANIFEST_UNKNOWN (conformance "Pull manifests").
    if (!isTag(value) && !isDigest(value)) {
      throw new OciError('MANIFEST_UNKNOWN', { detail: { reference: value.slice(0, 200) } });
    }
    const reference = parseReference(value);
    const manifest = await manifests.get(name, reference);
    await pullPolicy.check(name, manifest.digest);
    const headers = {
      'Content-Type': manifest.mediaType,
      'Docker-Content-Digest': manifest.digest,
      ETag: `"${manifest.digest}"`,
      'Content-Length': String(manifest.size),
    };
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    onManifestPull?.(name, reference);
    return c.body(new Uint8Array(manifest.bytes), 200, headers);
  });

  app.put('/:name{.+}/manifests/:reference', requires('pull', 'push'), async (c) => {
    const name = authorizedRepository(c);
    const reference = parseReference(c.req.param('reference'));
    // Refused while the client still sends (at once for a Content-Length over the limit), so an
    // endless body is never waited for; the rest is drained briefly and the connection closed.
    const bytes = await readBoundedBody(requestBody(c), c.req.raw.headers, maxManifestBytes).catch((err: unknown) => {
      if (!(err instanceof BodyTooLargeError)) throw err;
      throw new OciError('MANIFEST_INVALID', {
        status: 413,
        message: `manifest larger than ${maxManifestBytes} bytes`,
      });
    });
    const contentType = c.req.header('content-type');
    const { digest, subject } = await manifests.put(name, reference, bytes, contentType, actorOf(c.var.auth.principal));
    c.header('Location', `/v2/${name}/manifests/${digest}`);
    c.header('Docker-Content-Digest', digest);
    if (subject) c.header('OCI-Subject', subject);
    return c.body(null, 201);
  });

  app.delete('/:name{.+}/manifests/:reference', requires('delete'), async (c) => {
    const name = authorizedRepository(c);
    const reference = parseReference(c.req.param('reference'));
    if (!deleteEnabled) throw new OciError('UNSUPPORTED', { message: 'deletes are disabled on this registry' });
    await manifests.delete(name, reference, actorOf(c.var.auth.principal));
    return c.body(null, 202);
  });

  return app;
}
