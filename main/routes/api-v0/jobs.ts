/**
 * @module `/api/v0/jobs` (background jobs: list, read, logs, start, cancel) and `/api/v0/crons`
 * (schedules that start jobs). Every route here requires an administrator (401 without
 * credentials, 403 for other users): jobs act on the whole registry and their logs name its
 * repositories. Input is checked by the jobs service (main/jobs/jobs.ts); bodies are bounded by
 * `jsonBody` (64 KiB) and parameters by the service (16 KiB).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { requireAdmin } from '../../accounts/account-management.js';
import { AccountError } from '../../accounts/errors.js';
import { JOB_STATES, parseJobId, type Jobs } from '../../jobs/jobs.js';
import type { JobState } from '../../jobs/types.js';
import { jsonBody } from './request-input.js';

const startSchema = z
  .object({ kind: z.string().max(64), params: z.record(z.string(), z.unknown()).optional() })
  .strict();
const scheduleSchema = z
  .object({
    kind: z.string().max(64),
    params: z.record(z.string(), z.unknown()).optional(),
    schedule: z.string().max(200),
  })
  .strict();
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

function integerQuery(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d{1,9}$/.test(value) || n > max)
    throw new AccountError('INVALID_INPUT', `${name} must be an integer from 0 to ${max}`);
  return n;
}

export function jobRoutes(jobs: Jobs): Hono {
  const app = new Hono();
  const admin = (c: Context) => requireAdmin(c.var.principal, 'see, run and schedule jobs');
  // Admin. Newest first; `cursor` is the previous page's `next`.
  app.get('/jobs', async (c) => {
    admin(c);
    const kind = c.req.query('kind');
    const state = c.req.query('state');
    const cursor = c.req.query('cursor');
    if (state !== undefined && !JOB_STATES.includes(state as JobState))
      throw new AccountError('INVALID_INPUT', `state must be one of ${JOB_STATES.join(', ')}`);
    if (kind !== undefined && kind.length > 64) throw new AccountError('INVALID_INPUT', 'kind is too long');
    const limit = integerQuery(c.req.query('limit'), 'limit', DEFAULT_LIMIT, MAX_LIMIT) || DEFAULT_LIMIT;
    const list = await jobs.list({
      limit,
      ...(kind && { kind }),
      ...(state && { state: state as JobState }),
      ...(cursor && { before: parseJobId(cursor) }),
    });
    return c.json({ jobs: list, ...(list.length === limit && { next: list.at(-1)!.id }) });
  });

  // Admin. A kind with `adminMayStart` only; 202: the job waits for a free runner.
  app.post('/jobs', async (c) => {
    const user = admin(c);
    const body = await jsonBody(c, startSchema);
    return c.json(await jobs.startByAdmin({ kind: body.kind, params: body.params ?? {}, startedBy: user.name }), 202);
  });

  // Admin.
  app.get('/jobs/:id', async (c) => {
    admin(c);
    return c.json(await jobs.get(c.req.param('id')));
  });

  // Admin. Lines from `offset` (line numbers count from the job's first line; older ones may be gone).
  app.get('/jobs/:id/logs', async (c) => {
    admin(c);
    const offset = integerQuery(c.req.query('offset'), 'offset', 0, 1e9);
    return c.json(await jobs.readLog(c.req.param('id'), offset));
  });

  // Admin. Cancels: a waiting job at once, a running one as soon as it sees its signal.
  app.delete('/jobs/:id', async (c) => {
    admin(c);
    return c.json(await jobs.cancel(c.req.param('id')));
  });

  // Admin.
  app.get('/crons', async (c) => {
    admin(c);
    return c.json({ crons: await jobs.listSchedules() });
  });
  // Admin.
  app.get('/crons/:name', async (c) => {
    admin(c);
    return c.json(await jobs.getSchedule(c.req.param('name')));
  });
  // Admin. Creates or replaces; ticks before this write never fire.
  app.put('/crons/:name', async (c) => {
    admin(c);
    const body = await jsonBody(c, scheduleSchema);
    return c.json(await jobs.putSchedule({ name: c.req.param('name'), ...body, params: body.params ?? {} }));
  });
  // Admin.
  app.delete('/crons/:name', async (c) => {
    admin(c);
    await jobs.deleteSchedule(c.req.param('name'));
    return c.body(null, 204);
  });
  return app;
}
