/**
 * @module `/admin/jobs` (admins only): the jobs list with filters and paging, one job's page
 * with its log, starting a job and cancelling one, through the same jobs service as the API.
 */
import { Hono } from 'hono';
import { AdminJobPage, AdminJobsPage, jobHref } from '../admin-jobs.js';
import type { WebCookies } from '../cookies.js';
import { redirectWithFlash, renderPage } from '../render.js';
import type { WebDeps } from '../web-deps.js';
import { JOB_STATES, parseJobId } from '../../jobs/jobs.js';
import type { JobState } from '../../jobs/types.js';
import { adminOnly } from './guards.js';

const PAGE_SIZE = 25;
// While a job is waiting or running, its page (and the list) reloads this often, in seconds.
const REFRESH_SECONDS = '3';

export function adminJobRoutes(deps: WebDeps, cookies: WebCookies): Hono {
  const app = new Hono();

  app.get('/admin/jobs', async (c) => {
    const { session } = adminOnly(c);
    const kinds = deps.jobs.kinds();
    const kind = kinds.some((k) => k.kind === c.req.query('kind')) ? c.req.query('kind') : undefined;
    const state = JOB_STATES.find((s) => s === c.req.query('state'));
    const before = c.req.query('before');
    const jobs = await deps.jobs.list({
      limit: PAGE_SIZE,
      ...(kind && { kind }),
      ...(state && { state }),
      ...(before && { before: parseJobId(before) }),
    });
    const query = (extra: Record<string, string>) =>
      `/admin/jobs?${new URLSearchParams({ ...(kind && { kind }), ...(state && { state }), ...extra })}`;
    const body = (
      <AdminJobsPage
        jobs={jobs}
        kinds={kinds}
        filter={{ kind, state }}
        states={JOB_STATES}
        nextHref={jobs.length === PAGE_SIZE ? query({ before: jobs.at(-1)!.id }) : undefined}
        firstHref={before ? query({}) : undefined}
        csrfToken={session.csrfToken}
        now={deps.now()}
      />
    );
    const res = await renderPage(c, cookies, { title: 'Jobs', section: 'admin' }, body);
    if (jobs.some((job) => isUnderWay(job.state))) res.headers.set('Refresh', REFRESH_SECONDS);
    return res;
  });

  app.post('/admin/jobs', async (c) => {
    const { principal } = adminOnly(c);
    const form = await c.req.parseBody();
    const kind = typeof form.kind === 'string' ? form.kind : '';
    const job = await deps.jobs.startByAdmin({ kind, params: {}, startedBy: principal.name });
    return redirectWithFlash(c, cookies, jobHref(job.id), { kind: 'success', text: `Started a ${job.kind} job.` });
  });

  app.get('/admin/jobs/:id', async (c) => {
    const { session } = adminOnly(c);
    const job = await deps.jobs.get(c.req.param('id'));
    const log = await deps.jobs.readLog(job.id, 0);
    const body = <AdminJobPage job={job} log={log} csrfToken={session.csrfToken} now={deps.now()} />;
    const res = await renderPage(c, cookies, { title: `${job.kind} job`, section: 'admin' }, body);
    if (isUnderWay(job.state)) res.headers.set('Refresh', REFRESH_SECONDS);
    return res;
  });

  app.post('/admin/jobs/:id/cancel', async (c) => {
    adminOnly(c);
    const job = await deps.jobs.cancel(c.req.param('id'));
    const text = job.state === 'cancelled' ? 'Job cancelled.' : 'Cancelling the job: it stops at its next step.';
    return redirectWithFlash(c, cookies, jobHref(job.id), { kind: 'success', text });
  });

  return app;
}

const isUnderWay = (state: JobState) => state === 'waiting' || state === 'running';
