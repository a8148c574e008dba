import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createErrorHandler, notFoundHandler, ociErrorResponse, toOciError } from '../../../src/http/error-handler.js';
import { OciError } from '../../../src/oci/errors.js';
import { parseDigest } from '../../../src/oci/digest.js';
import {
  BackendUnavailableError,
  BlobNotFoundError,
  DigestMismatchError,
  SizeMismatchError,
} from '../../../src/store/errors.js';
import { createLogger } from '../../../src/log/logger.js';

const DIGEST = parseDigest(`sha256:${'a'.repeat(64)}`);
const OTHER = parseDigest(`sha256:${'b'.repeat(64)}`);

/** An app whose only route throws `error`, with the logger's lines captured. */
function appThrowing(error: unknown) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const app = new Hono();
  app.onError(createErrorHandler(logger));
  app.notFound(notFoundHandler);
  app.get('/fail', () => {
    throw error;
  });
  return { app, lines };
}

async function envelope(res: Response): Promise<unknown> {
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return res.json();
}

describe('toOciError', () => {
  it('passes an OciError through unchanged', () => {
    const err = new OciError('NAME_UNKNOWN');
    expect(toOciError(err)).toBe(err);
  });

  it('maps BlobNotFoundError to 404 BLOB_UNKNOWN with the digest', () => {
    const oci = toOciError(new BlobNotFoundError(DIGEST));
    expect(oci).toMatchObject({
      code: 'BLOB_UNKNOWN',
      status: 404,
      message: 'blob unknown to registry',
      detail: { digest: DIGEST },
    });
  });

  it('maps DigestMismatchError to 400 DIGEST_INVALID with both digests', () => {
    const oci = toOciError(new DigestMismatchError(DIGEST, OTHER));
    expect(oci).toMatchObject({ code: 'DIGEST_INVALID', status: 400, detail: { expected: DIGEST, actual: OTHER } });
  });

  it('maps SizeMismatchError to 400 SIZE_INVALID with both sizes', () => {
    const oci = toOciError(new SizeMismatchError(10, 7));
    expect(oci).toMatchObject({ code: 'SIZE_INVALID', status: 400, detail: { expected: 10, actual: 7 } });
  });

  it("maps Hono's 413 to SIZE_INVALID keeping status 413 and its message", () => {
    const oci = toOciError(new HTTPException(413, { message: 'body too large' }));
    expect(oci).toMatchObject({ code: 'SIZE_INVALID', status: 413, message: 'body too large' });
  });

  it("maps Hono's 401 to UNAUTHORIZED, using the table's message when it has none", () => {
    expect(toOciError(new HTTPException(401))).toMatchObject({
      code: 'UNAUTHORIZED',
      status: 401,
      message: 'authentication required',
    });
  });

  it('maps another Hono client error to UNSUPPORTED keeping its status', () => {
    expect(toOciError(new HTTPException(400, { message: 'Malformed JSON' }))).toMatchObject({
      code: 'UNSUPPORTED',
      status: 400,
      message: 'Malformed JSON',
    });
  });

  it("leaves Hono's server errors unmapped", () => {
    expect(toOciError(new HTTPException(502))).toBeUndefined();
  });

  it.each(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'ABORT_ERR', 'EPIPE'])(
    'maps a client that went away (%s) to 400 BLOB_UPLOAD_INVALID',
    (code) => {
      const oci = toOciError(Object.assign(new Error('socket hang up'), { code }));
      expect(oci).toMatchObject({
        code: 'BLOB_UPLOAD_INVALID',
        status: 400,
        message: 'the request body ended before it was complete',
      });
    },
  );

  it.each(['database', 'blob store'] as const)(
    'maps an unreachable %s to 503 UNAVAILABLE naming only the backend, never its cause',
    (backend) => {
      const cause = new Error('connect ECONNREFUSED postgres://outpost:hunter2@db:5432/outpost');
      const oci = toOciError(new BackendUnavailableError(backend, { cause }));
      expect(oci).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
      expect(oci?.message).toContain(`registry's ${backend} is unavailable`);
      expect(JSON.stringify(oci?.toJSON())).not.toContain('hunter2');
    },
  );

  it('leaves unexpected errors and thrown non-errors unmapped', () => {
    expect(toOciError(new Error('boom'))).toBeUndefined();
    expect(toOciError(Object.assign(new Error('disk'), { code: 'EBADF' }))).toBeUndefined();
    expect(toOciError('boom')).toBeUndefined();
    expect(toOciError(null)).toBeUndefined();
    expect(toOciError(undefined)).toBeUndefined();
  });
});

describe('ociErrorResponse', () => {
  it('writes the envelope, the status and the extra headers of the error', async () => {
    const res = ociErrorResponse(new OciError('RANGE_INVALID', { headers: { 'Content-Range': 'bytes */10' } }));
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */10');
    expect(await envelope(res)).toEqual({ errors: [{ code: 'RANGE_INVALID', message: 'invalid content range' }] });
  });
});

describe('createErrorHandler', () => {
  it('renders a thrown OciError as the spec envelope with its status and detail', async () => {
    const { app, lines } = appThrowing(new OciError('MANIFEST_UNKNOWN', { detail: { tag: 'latest' } }));
    const res = await app.request('/fail');
    expect(res.status).toBe(404);
    expect(await envelope(res)).toEqual({
      errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown to registry', detail: { tag: 'latest' } }],
    });
    expect(lines).toEqual([]);
  });

  it('omits detail from the envelope when the error has none', async () => {
    const res = await appThrowing(new OciError('DENIED')).app.request('/fail');
    expect(res.status).toBe(403);
    expect(await envelope(res)).toEqual({
      errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }],
    });
  });

  it('adds the headers the error carries, such as WWW-Authenticate on 401', async () => {
    const challenge = 'Bearer realm="https://r.example/token",service="outpost"';
    const res = await appThrowing(
      new OciError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': challenge } }),
    ).app.request('/fail');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(challenge);
    expect(await envelope(res)).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
  });

  it('answers 404 BLOB_UNKNOWN when a store throws BlobNotFoundError', async () => {
    const res = await appThrowing(new BlobNotFoundError(DIGEST)).app.request('/fail');
    expect(res.status).toBe(404);
    expect(await envelope(res)).toEqual({
      errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: DIGEST } }],
    });
  });

  it('answers 500 UNKNOWN without the message or stack of an unexpected error, and logs it', async () => {
    const { app, lines } = appThrowing(new Error('database at /secret/path exploded'));
    const res = await app.request('/fail?x=1');
    expect(res.status).toBe(500);
    const text = await res.clone().text();
    expect(text).not.toContain('exploded');
    expect(text).not.toContain('error-handler.test');
    expect(await envelope(res)).toEqual({ errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'unhandled error',
      method: 'GET',
      path: '/fail',
      error: { name: 'Error', message: 'database at /secret/path exploded' },
    });
    expect(lines[0]!.stack).toEqual(expect.stringContaining('database at /secret/path exploded'));
  });

  it('logs a warning, without a stack, for a deliberate 5xx such as UNAVAILABLE', async () => {
    const { app, lines } = appThrowing(new OciError('UNAVAILABLE'));
    const res = await app.request('/fail', { method: 'GET' });
    expect(res.status).toBe(503);
    expect(await envelope(res)).toEqual({ errors: [{ code: 'UNAVAILABLE', message: 'service unavailable' }] });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'request failed',
        method: 'GET',
        path: '/fail',
        code: 'UNAVAILABLE',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('stack');
  });

  it('answers a HEAD request with the status and headers but no body', async () => {
    const res = await appThrowing(new OciError('BLOB_UNKNOWN')).app.request('/fail', { method: 'HEAD' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('');
  });
});

describe('createErrorHandler with mappers', () => {
  class TeapotError extends Error {}
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line) });
  const teapot = (err: unknown) =>
    err instanceof TeapotError ? new Response('short and stout', { status: 418 }) : undefined;
  const app = (error: unknown) => {
    const hono = new Hono();
    hono.onError(createErrorHandler(logger, [() => undefined, teapot]));
    hono.get('/fail', () => {
      throw error;
    });
    return hono;
  };

  it('answers with the first mapper that returns a response', async () => {
    const res = await app(new TeapotError('x')).request('/fail');
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('short and stout');
  });

  it('falls back to the OCI mapping when every mapper returns undefined', async () => {
    const res = await app(new BlobNotFoundError(DIGEST)).request('/fail');
    expect(res.status).toBe(404);
    expect(await envelope(res)).toEqual({
      errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: DIGEST } }],
    });
    expect(lines).toEqual([]);
  });
});

describe('notFoundHandler', () => {
  it('answers 404 UNSUPPORTED naming the method and path of an unknown endpoint', async () => {
    const res = await appThrowing(new Error('unused')).app.request('/v3/nothing', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await envelope(res)).toEqual({
      errors: [{ code: 'UNSUPPORTED', message: 'no such endpoint: POST /v3/nothing' }],
    });
  });

  it('cuts the message to 300 characters for a very long path', async () => {
    const res = await appThrowing(new Error('unused')).app.request(`/${'x'.repeat(1000)}`);
    const body = (await res.json()) as { errors: Array<{ message: string }> };
    expect(body.errors[0]!.message).toBe(`no such endpoint: GET /${'x'.repeat(1000)}`.slice(0, 300));
    expect(body.errors[0]!.message).toHaveLength(300);
  });
});
