/** @module `/admin/events`: the audit log (main/audit/), read through the same query as `GET /api/v0/events`. */
import { Hono } from 'hono';
import { listAuditEvents } from '../../audit/audit-events.js';
import { AdminEventsPage } from '../admin-events.js';
import type { WebCookies } from '../cookies.js';
import { renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { adminOnly } from './guards.js';

const PAGE_SIZE = '50';

export function adminEventRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  // Access: administrators (adminOnly; listAuditEvents checks again).
  app.get('/admin/events', async (c) => {
    const { principal } = adminOnly(c);
    const filters = {
      type: c.req.query('type') ?? '',
      actor: c.req.query('actor') ?? '',
      since: c.req.query('since') ?? '',
    };
    const cursor = c.req.query('cursor');
    const page = deps.audit
      ? await listAuditEvents(deps.audit, principal, { ...filters, limit: PAGE_SIZE, cursor })
      : { events: [] };
    const query = (more: Record<string, string>) =>
      `/admin/events?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)), ...more })}`;
    const body = (
      <AdminEventsPage
        events={page.events}
        filters={filters}
        firstHref={cursor ? query({}) : undefined}
        nextHref={page.nextCursor ? query({ cursor: page.nextCursor }) : undefined}
      />
    );
    return renderPage(c, cookies, { title: 'Audit log', section: 'admin' }, body);
  });

  return app;
}
