/** @module `GET /api/v0/events`: the audit log (main/audit/), newest first. Access: administrators. */
import { Hono } from 'hono';
import type { AuditLog } from '../../audit/audit-log.js';
import { listAuditEvents } from '../../audit/audit-events.js';

export function eventRoutes(audit: Pick<AuditLog, 'list'>): Hono {
  const app = new Hono();

  // Access: administrators (listAuditEvents refuses others with 403 NO_PERMISSION).
  // ?type=&actor=&since=<ISO or ms>&limit=<1..500>&cursor=<nextCursor of the previous page>
  app.get('/events', async (c) => {
    const { type, actor, since, limit, cursor } = c.req.query();
    return c.json(await listAuditEvents(audit, c.var.principal, { type, actor, since, limit, cursor }));
  });

  return app;
}
