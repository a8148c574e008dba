/** @module The administration pages (admins only; everyone else gets the 403 page). */
import { Hono } from 'hono';
import type { WebCookies } from '../cookies.js';
import type { WebDeps } from '../web-deps.js';
import { adminCacheRoutes } from './admin-caches.js';
import { adminJobRoutes } from './admin-jobs.js';
import { adminDirectoryRoutes } from './admin-directory.js';
import { adminOrganizationRoutes } from './admin-organizations.js';
import { adminSettingsRoutes } from './admin-settings.js';
import { adminEventRoutes } from './admin-events.js';
import { adminUserRoutes } from './admin-users.js';
import { adminOnly } from './guards.js';

export function adminRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();
  app.get('/admin', (c) => {
    adminOnly(c);
    return c.redirect('/admin/users', 302);
  });
  app.route('/', adminUserRoutes(deps, cookies));
  app.route('/', adminOrganizationRoutes(deps, cookies));
  app.route('/', adminCacheRoutes(deps, cookies));
  app.route('/', adminSettingsRoutes(deps, cookies));
  app.route('/', adminJobRoutes(deps, cookies));
  app.route('/', adminDirectoryRoutes(deps, cookies));
  app.route('/', adminEventRoutes(deps, cookies));
  return app;
}
