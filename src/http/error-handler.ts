/**
 * @module The one place where failures become HTTP responses in the spec's error envelope.
 *
 * Routes throw `OciError` (or let store errors fly); this maps them, adds headers such as
 * `WWW-Authenticate`, and turns anything unexpected into a logged 500 whose body says nothing
 * about the internals.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { OciError } from '../oci/errors.js';
import {
  BackendUnavailableError,
  BlobNotFoundError,
  DigestMismatchError,
  SizeMismatchError,
  storageFailureOf,
} from '../store/errors.js';
import type { Logger } from '../log/logger.js';

const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'ECONNABORTED', 'ABORT_ERR', 'EPIPE']);

/** Converts a known domain failure into its OCI error; undefined for unexpected ones. */
export function toOciError(err: unknown): OciError | undefined {
  if (err instanceof OciError) return err;
  if (err instanceof BlobNotFoundError) return new OciError('BLOB_UNKNOWN', { detail: { digest: err.digest } });
  if (err instanceof DigestMismatchError) {
    return new OciError('DIGEST_INVALID', { detail: { expected: err.expected, actual: err.actual } });
  }
  if (err instanceof SizeMismatchError) {
    return new OciError('SIZE_INVALID', { detail: { expected: err.expected, actual: err.actual } });
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = err.status === 413 ? 'SIZE_INVALID' : err.status === 401 ? 'UNAUTHORIZED' : 'UNSUPPORTED';
    return new OciError(code, { status: err.status, message: err.message || undefined });
  }
  // UNAVAILABLE is the registered code (CNCF distribution) for a registry that cannot serve the
  // request now; a full disk gets 507 Insufficient Storage (RFC 4918 section 11.5) so that
  // clients and operators see the cause without a code of our own that no client knows.
  if (err instanceof BackendUnavailableError) {
    return new OciError('UNAVAILABLE', {
      message: `the registry's ${err.backend} is unavailable: nothing of this request was stored; retry later`,
    });
  }
  const storage = storageFailureOf(err);
  if (storage === 'full') {
    return new OciError('UNAVAILABLE', {
      status: 507,
      message: "the registry's storage is full: nothing of this request was stored; retry once space is freed",
    });
  }
  if (storage === 'io') {
    return new OciError('UNAVAILABLE', {
      message: "the registry's storage failed to write: nothing of this request was stored; retry later",
    });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && CLIENT_GONE.has(code)) {
    return new OciError('BLOB_UPLOAD_INVALID', { message: 'the request body ended before it was complete' });
  }
  return undefined;
}

export function ociErrorResponse(err: OciError): Response {
  return new Response(JSON.stringify(err.toJSON()), {
    status: err.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...err.headers },
  });
}

/**
 * Answers a failure that belongs to one API's own error table (the management API's account
 * errors, for instance); undefined leaves it to the OCI mapping below.
 */
export type ErrorMapper = (err: unknown, c: Context) => Response | undefined;

export function createErrorHandler(logger: Logger, mappers: readonly ErrorMapper[] = []): ErrorHandler {
  return function onError(err, c: Context) {
    for (const mapper of mappers) {
      const response = mapper(err, c);
      if (response) return response;
    }
    const oci = toOciError(err);
    if (oci) {
      if (oci.status >= 500) {
        const cause = err === oci ? undefined : err;
        logger.warn('request failed', {
          method: c.req.method,
          path: c.req.path,
          code: oci.code,
          status: oci.status,
          ...(cause !== undefined && { error: cause }),
        });
      }
      return ociErrorResponse(oci);
    }
    logger.error('unhandled error', {
      method: c.req.method,
      path: c.req.path,
      error: err,
      stack: err instanceof Error ? err.stack : undefined,
    });
    return ociErrorResponse(new OciError('UNKNOWN', { message: 'internal server error' }));
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  ociErrorResponse(
    new OciError('UNSUPPORTED', {
      status: 404,
      message: `no such endpoint: ${c.req.method} ${c.req.path}`.slice(0, 300),
    }),
  );
