/**
 * @module The failure a page handler throws to answer with an error page instead of the page
 * (403 not allowed, 404 not found, ...). The web error handler renders it.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type WebErrorCode = 'CSRF' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_REQUEST' | 'TOO_LARGE';

const STATUS: Record<WebErrorCode, ContentfulStatusCode> = {
  CSRF: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  TOO_LARGE: 413,
};

export class WebError extends Error {
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: WebErrorCode,
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebError';
    this.status = STATUS[code];
  }
}

export const csrfError = () =>
  new WebError(
    'CSRF',
    'This form has expired',
    'The security token sent with the form was missing or out of date, so nothing was changed. This ' +
      'happens when a page stays open for a long time or after signing out in another tab. Go back, ' +
      'reload the page and try again.',
  );

export const adminOnlyError = () =>
  new WebError(
    'FORBIDDEN',
    'Administrators only',
    'This page is for registry administrators. Ask an administrator if you need access.',
  );

/** Thrown where a page needs a signed-in user: the error handler sends the visitor to sign in. */
export class SignInRequired extends Error {
  constructor() {
    super('sign in required');
    this.name = 'SignInRequired';
  }
}
