/**
 * @module The one table of registry error codes and the error type that carries them.
 *
 * Codes, messages and statuses follow the OCI distribution spec (section "Error Codes"); the
 * few extra codes are the ones CNCF distribution also registers. Nothing here knows HTTP
 * frameworks: `src/http/error-handler.ts` turns an `OciError` into the JSON envelope.
 */

export const OCI_ERRORS = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 404, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  // Registered by CNCF distribution beside the spec's codes.
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type OciErrorCode = keyof typeof OCI_ERRORS;

export interface OciErrorOptions {
  /** Replaces the table's message when the client deserves a more specific one. */
  message?: string;
  /** Structured detail for the envelope's `detail` field (never secrets). */
  detail?: unknown;
  /**
   * Overrides the table's status where the spec asks for another (413 for a large manifest),
   * or 507 for a full disk.
   */
  status?: number;
  /** Extra response headers, such as `Range` on a 416 for an out-of-order chunk. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A failure a client can act on; thrown anywhere, rendered once by the HTTP error handler. */
export class OciError extends Error {
  readonly code: OciErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: OciErrorCode, options: OciErrorOptions = {}) {
    super(options.message ?? OCI_ERRORS[code].message, { cause: options.cause });
    this.name = 'OciError';
    this.code = code;
    this.status = options.status ?? OCI_ERRORS[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  /** The spec's envelope: `{"errors":[{"code","message","detail"}]}`. */
  toJSON(): { errors: Array<{ code: string; message: string; detail?: unknown }> } {
    const entry: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}

export const isOciError = (err: unknown): err is OciError => err instanceof OciError;
