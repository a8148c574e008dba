/**
 * @module The web pages of main, wired: static assets, then every page path with a body limit,
 * the caller's session, CSRF protection, and error pages instead of JSON errors.
 *
 * Middleware is registered per page path (never `*`), because this app is mounted at `/` beside
 * the registry and API routes, which must not see web sessions, CSRF checks or HTML errors.
 */
import { Hono } from 'hono';
import { boundedBody } from '../../src/http/body.js';
import { authenticate } from '../middleware/authenticate.js';
import { createWebCookies } from './cookies.js';
import { csrfProtection } from './csrf.js';
import { adminRoutes } from './handlers/admin.js';
import { profileRoutes } from './handlers/profile.js';
import { pruningWebRoutes } from './handlers/pruning.js';
import { repositoryRoutes } from './handlers/repositories.js';
import { sessionRoutes } from './handlers/session.js';
import { tagPageRoutes } from './handlers/tag-pages.js';
import { staticRoutes } from './static-routes.js';
import type { WebDeps } from './web-deps.js';
import { webErrorHandler } from './web-error-handler.js';
import { WebError } from './web-error.js';

export type { WebDeps } from './web-deps.js';

/** Every path a page lives under. */
const PAGE_PATHS = [
  '/',
  '/sign-in',
  '/sign-out',
  '/profile',
  '/profile/*',
  '/repositories',
  '/repositories/*',
  '/admin',
  '/admin/*',
];
// Forms are a few fields; nothing legitimate comes near this.
const MAX_FORM_BYTES = 64 * 1024;

export function webRoutes(deps: WebDeps): Hono {
  const cookies = createWebCookies({ alwaysSecure: new URL(deps.publicUrl).protocol === 'https:' });
  const app = new Hono();
  app.onError(webErrorHandler(cookies, deps.logger));
  app.route('/', staticRoutes());

  const limitBody = boundedBody(MAX_FORM_BYTES, () => {
    throw new WebError('TOO_LARGE', 'Form too large', 'The form sent more data than this page accepts.');
  });
  const identify = authenticate({ authenticator: deps.authenticator, sessions: deps.sessions });
  const csrf = csrfProtection(cookies);
  for (const path of PAGE_PATHS) app.use(path, limitBody, identify, csrf);

  app.route('/', sessionRoutes(deps, cookies));
  app.route('/', profileRoutes(deps, cookies));
  // Before the repository page, whose `/repositories/<name>` would take the tag pages' paths.
  app.route('/', tagPageRoutes(deps, cookies));
  app.route('/', pruningWebRoutes(deps, cookies));
  app.route('/', repositoryRoutes(deps, cookies));
  app.route('/', adminRoutes(deps, cookies));
  return app;
}
