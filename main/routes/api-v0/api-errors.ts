/**
 * @module The management API's error table and the mapper that plugs it into the app's error
 * handler (src/http/error-handler.ts): account errors become `{"errors":[{code, message}]}`
 * with their status. Everything else is left to the OCI mapping.
 *
 * The Basic challenge (`WWW-Authenticate: Basic`) goes only to a 401 of a request that itself
 * carried Basic credentials: API clients (curl -u, scripts) send them unasked, so they lose
 * nothing, while a browser never gets the prompt whose cached answer any web page could then
 * make it send (issue 9, item 5). A 401 without credentials has no challenge header: the body
 * says how to sign in.
 */
import type { ErrorMapper } from '../../../src/http/error-handler.js';
import { OciError } from '../../../src/oci/errors.js';
import { BodyTooLargeError } from '../../../src/http/body.js';
import { UnsupportedMediaType } from '../../middleware/csrf-header.js';
import { AccountError, type AccountErrorCode } from '../../accounts/errors.js';
import { JobError } from '../../jobs/errors.js';

/** The API's own codes beside the account errors: failures of the HTTP exchange itself. */
export type ApiErrorCode = AccountErrorCode | 'UNAUTHORIZED' | 'TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE';

export const API_ERROR_STATUS = {
  UNAUTHORIZED: 401,
  NO_PERMISSION: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
} as const satisfies Record<ApiErrorCode, number>;

export const BASIC_CHALLENGE = 'Basic realm="outpost"';

export function apiErrorResponse(code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ errors: [{ code, message }] }), {
    status: API_ERROR_STATUS[code],
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}

/** Whether the request sent Basic credentials (and so may be challenged for them). */
const sentBasic = (authorization: string | undefined) => /^basic\s/i.test(authorization ?? '');

export const apiErrorMapper: ErrorMapper = (err, c) => {
  if (err instanceof AccountError) return apiErrorResponse(err.code, err.message);
  if (err instanceof JobError) return apiErrorResponse(err.code, err.message);
  if (err instanceof BodyTooLargeError) return apiErrorResponse('TOO_LARGE', err.message);
  if (err instanceof UnsupportedMediaType) return apiErrorResponse('UNSUPPORTED_MEDIA_TYPE', err.message);
  // Not signed in, or the authenticator's failures (bad password, refused token): the message
  // stays; never the registry's Bearer challenge, and Basic only as the module comment says.
  if (err instanceof OciError && err.code === 'UNAUTHORIZED') {
    const challenge: Record<string, string> = {};
    if (sentBasic(c.req.header('authorization'))) challenge['WWW-Authenticate'] = BASIC_CHALLENGE;
    return apiErrorResponse('UNAUTHORIZED', err.message, challenge);
  }
  return undefined;
};
