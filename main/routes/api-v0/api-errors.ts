/**
 * @module The management API's error table and the mapper that plugs it into the app's error
 * handler (src/http/error-handler.ts): account errors become `{"errors":[{code, message}]}`
 * with their status, and a 401 of any origin challenges for Basic credentials, since that is
 * what API clients (curl, scripts) send. Everything else is left to the OCI mapping.
 */
import type { ErrorMapper } from '../../../src/http/error-handler.js';
import { OciError } from '../../../src/oci/errors.js';
import { BodyTooLargeError } from '../../../src/http/body.js';
import { AccountError, type AccountErrorCode } from '../../accounts/errors.js';

/** The API's own codes beside the account errors: failures of the HTTP exchange itself. */
export type ApiErrorCode = AccountErrorCode | 'UNAUTHORIZED' | 'TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE';

export const API_ERROR_STATUS = {
  UNAUTHORIZED: 401,
  NO_PERMISSION: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID_INPUT: 400,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
} as const satisfies Record<ApiErrorCode, number>;

export const BASIC_CHALLENGE = 'Basic realm="outpost"';

export function apiErrorResponse(code: ApiErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const status = API_ERROR_STATUS[code];
  return new Response(JSON.stringify({ errors: [{ code, message }] }), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...(status === 401 && { 'WWW-Authenticate': BASIC_CHALLENGE }), ...headers },
  });
}

export const apiErrorMapper: ErrorMapper = (err) => {
  if (err instanceof AccountError) return apiErrorResponse(err.code, err.message);
  if (err instanceof BodyTooLargeError) return apiErrorResponse('TOO_LARGE', err.message);
  // Not signed in, or the authenticator's failures (bad password, expired token): the message
  // stays, the challenge is the API's Basic one instead of the registry's Bearer one.
  if (err instanceof OciError && err.code === 'UNAUTHORIZED') return apiErrorResponse('UNAUTHORIZED', err.message);
  return undefined;
};
