/**
 * @module Failures on web routes become error pages, never JSON and never a stack trace:
 * `WebError` as thrown, registry errors that reach a page (a malformed Authorization header,
 * too many sign-in attempts), account errors, an oversized form, a failed storage write (507
 * or 503), and anything else as a logged 500.
 */
import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { OciError } from '../../src/oci/errors.js';
import { BackendUnavailableError, storageFailureOf } from '../../src/store/errors.js';
import type { Logger } from '../../src/log/logger.js';
import { AccountError } from '../accounts/errors.js';
import { JobError } from '../jobs/errors.js';
import type { WebCookies } from './cookies.js';
import { ErrorPage } from './error-page.js';
import { renderPage, viewerOf } from './render.js';
import { SignInRequired, WebError } from './web-error.js';
import { signInUrl } from './handlers/local-path.js';

interface Shown {
  status: ContentfulStatusCode;
  title: string;
  message: string;
  headers?: Record<string, string>;
}

const ACCOUNT_STATUS: Record<AccountError['code'], ContentfulStatusCode> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  NO_PERMISSION: 403,
};

/** The status a page answers with when an account operation refuses. */
export const accountErrorStatus = (err: AccountError): ContentfulStatusCode => ACCOUNT_STATUS[err.code];

/** An account error's message as a sentence for a page ("Password must be ..."). */
export const asSentence = (message: string): string =>
  message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.');

function describe(err: unknown): Shown | undefined {
  if (err instanceof WebError) return { status: err.status, title: err.title, message: err.message };
  if (err instanceof AccountError || err instanceof JobError)
    return {
      status: ACCOUNT_STATUS[err.code],
      title: err.code === 'NOT_FOUND' ? 'Not found' : 'That did not work',
      message: asSentence(err.message),
    };
  if (err instanceof OciError && err.status < 500) {
    if (err.code === 'TOOMANYREQUESTS')
      return { status: 429, title: 'Too many attempts', message: err.message, headers: err.headers };
    if (err.code === 'UNAUTHORIZED') return { status: 401, title: 'Not signed in', message: err.message };
    return { status: err.status as ContentfulStatusCode, title: 'Request refused', message: err.message };
  }
  if (err instanceof HTTPException && err.status === 413)
    return { status: 413, title: 'Form too large', message: 'The form sent more data than this page accepts.' };
  // As on the registry API (src/http/error-handler.ts): 507 for a full disk, 503 for an I/O error
  // or an unreachable database or object store.
  if (err instanceof BackendUnavailableError) {
    const message = `The registry's ${err.backend} cannot be reached: nothing was saved. Try again in a moment.`;
    return { status: 503, title: 'Temporarily unavailable', message };
  }
  const storage = storageFailureOf(err);
  if (storage === 'full') {
    const message = "The registry's storage is full: nothing was saved. Try again once space is freed.";
    return { status: 507, title: 'Storage full', message };
  }
  if (storage === 'io') {
    const message = "The registry's storage failed to write: nothing was saved. Try again in a moment.";
    return { status: 503, title: 'Storage unavailable', message };
  }
  return undefined;
}

export function webErrorHandler(cookies: WebCookies, logger: Logger): ErrorHandler {
  return async function onWebError(err, c) {
    if (err instanceof SignInRequired) {
      const url = new URL(c.req.url);
      return c.redirect(signInUrl(url.pathname + url.search), c.req.method === 'GET' ? 302 : 303);
    }
    let shown = describe(err);
    if (shown && shown.status >= 500) {
      logger.warn('web page failed', { method: c.req.method, path: c.req.path, status: shown.status, error: err });
    }
    if (!shown) {
      logger.error('web page failed', {
        method: c.req.method,
        path: c.req.path,
        error: err,
        stack: err instanceof Error ? err.stack : undefined,
      });
      shown = {
        status: 500,
        title: 'Something went wrong',
        message:
          'The page could not be shown because of an error on the server. It has been logged; try again in a moment.',
      };
    }
    for (const [name, value] of Object.entries(shown.headers ?? {})) c.header(name, value);
    const body = (
      <ErrorPage status={shown.status} title={shown.title} message={shown.message} offerSignIn={!viewerOf(c)} />
    );
    return renderPage(c, cookies, { title: shown.title, status: shown.status }, body);
  };
}
