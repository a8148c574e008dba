/**
 * @module Administration: background jobs. The list (state, progress, who started it, when;
 * filters by kind and state; a form to start a kind admins may start) and one job's page (its
 * parameters, outcome, log and a cancel button). Pages with a job under way ask the browser to
 * reload them (the handler's `Refresh` header), so progress moves without a script.
 */
import type { FC } from 'hono/jsx';
import type { JobLogPage, JobRecord } from '../metadata/jobs.js';
import type { JobState } from '../jobs/types.js';
import { AdminFrame } from './admin-frame.js';
import { Badge, Card, EmptyState, Pager, PostForm, SelectField, SubmitButton, TimeAgo } from './components.js';

export const jobHref = (id: string) => `/admin/jobs/${id}`;

const StateBadge: FC<{ state: JobState }> = ({ state }) => (
  <Badge kind={state === 'done' ? 'up' : state === 'failed' ? 'down' : state === 'cancelled' ? 'inactive' : 'neutral'}>
    {state}
  </Badge>
);

const Progress: FC<{ job: JobRecord }> = ({ job }) => {
  const { done, total, message } = job.progress;
  const label = total !== undefined ? `${done} of ${total}` : `${done}`;
  return (
    <span class="job-progress">
      {total !== undefined && total > 0 ? (
        <progress value={done} max={total} aria-label={`Progress: ${label}`} />
      ) : (
        job.state === 'running' && <progress aria-label="In progress" />
      )}{' '}
      <span class="muted">
        {label}
        {message && ` · ${message}`}
      </span>
    </span>
  );
};

export interface AdminJobsPageProps {
  jobs: JobRecord[];
  /** Kinds for the filter; those admins may start for the start form. */
  kinds: { kind: string; adminMayStart: boolean }[];
  filter: { kind?: string | undefined; state?: string | undefined };
  states: readonly JobState[];
  nextHref?: string | undefined;
  firstHref?: string | undefined;
  csrfToken: string;
  now: number;
}

export const AdminJobsPage: FC<AdminJobsPageProps> = (p) => (
  <AdminFrame tab="jobs" title="Jobs" subtitle="Background work: garbage collection, purges and what schedules start">
    <Card id="jobs" title="Jobs">
      <form method="get" action="/admin/jobs" class="card-body form-row" aria-label="Filter jobs">
        <SelectField
          label="Kind"
          name="kind"
          value={p.filter.kind ?? ''}
          options={[{ value: '', label: 'All kinds' }, ...p.kinds.map(({ kind }) => ({ value: kind, label: kind }))]}
        />
        <SelectField
          label="State"
          name="state"
          value={p.filter.state ?? ''}
          options={[{ value: '', label: 'All states' }, ...p.states.map((state) => ({ value: state, label: state }))]}
        />
        <div class="form-actions">
          <button type="submit" class="btn">
            Filter
          </button>
        </div>
      </form>
      {p.jobs.length === 0 ? (
        <EmptyState title="No jobs">Jobs started by admins, by schedules or by main appear here.</EmptyState>
      ) : (
        <div class="table-scroll" tabindex={0}>
          <table class="table table-compact">
            <thead>
              <tr>
                <th>Job</th>
                <th>State</th>
                <th>Progress</th>
                <th>Started by</th>
                <th>Created</th>
                <th>Ended</th>
              </tr>
            </thead>
            <tbody>
              {p.jobs.map((job) => (
                <tr>
                  <td>
                    <a class="inline-link" href={jobHref(job.id)}>
                      {job.kind}
                    </a>{' '}
                    <code class="muted">{job.id}</code>
                  </td>
                  <td>
                    <StateBadge state={job.state} />
                  </td>
                  <td>
                    <Progress job={job} />
                  </td>
                  <td>{job.startedBy}</td>
                  <td>
                    <TimeAgo at={job.createdAt} now={p.now} />
                  </td>
                  <td>{job.endedAt !== undefined ? <TimeAgo at={job.endedAt} now={p.now} /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager first={p.firstHref} next={p.nextHref} />
    </Card>
    <Card id="start" title="Start a job">
      <div class="card-body">
        <PostForm action="/admin/jobs" csrfToken={p.csrfToken} label="Start a job">
          <SelectField
            label="Kind"
            name="kind"
            options={p.kinds.filter((k) => k.adminMayStart).map(({ kind }) => ({ value: kind, label: kind }))}
            help="Runs with its default parameters; use the API (POST /api/v0/jobs) to give others."
          />
          <SubmitButton label="Start" />
        </PostForm>
      </div>
    </Card>
  </AdminFrame>
);

export interface AdminJobPageProps {
  job: JobRecord;
  log: JobLogPage;
  csrfToken: string;
  now: number;
}

export const AdminJobPage: FC<AdminJobPageProps> = ({ job, log, csrfToken, now }) => (
  <AdminFrame
    tab="jobs"
    title={`${job.kind} job`}
    subtitle={job.id}
    crumbs={[
      { href: '/admin/users', label: 'Administration' },
      { href: '/admin/jobs', label: 'Jobs' },
    ]}
  >
    <Card id="job" title="Job">
      <div class="card-body">
        <dl class="details">
          <dt>State</dt>
          <dd>
            <StateBadge state={job.state} />
            {job.cancelRequested && ' (cancelling)'}
            {job.attempt > 1 && ` (attempt ${job.attempt})`}
          </dd>
          <dt>Progress</dt>
          <dd>
            <Progress job={job} />
          </dd>
          <dt>Started by</dt>
          <dd>{job.startedBy}</dd>
          <dt>Created</dt>
          <dd>
            <TimeAgo at={job.createdAt} now={now} />
          </dd>
          {job.startedAt !== undefined && (
            <>
              <dt>Started</dt>
              <dd>
                <TimeAgo at={job.startedAt} now={now} />
              </dd>
            </>
          )}
          {job.endedAt !== undefined && (
            <>
              <dt>Ended</dt>
              <dd>
                <TimeAgo at={job.endedAt} now={now} />
              </dd>
            </>
          )}
          <dt>Parameters</dt>
          <dd>
            <code>{JSON.stringify(job.params)}</code>
          </dd>
          {job.summary && (
            <>
              <dt>Summary</dt>
              <dd>
                <code>{JSON.stringify(job.summary)}</code>
              </dd>
            </>
          )}
          {job.error && (
            <>
              <dt>Error</dt>
              <dd class="health-error">{job.error}</dd>
            </>
          )}
        </dl>
        {(job.state === 'waiting' || job.state === 'running') && !job.cancelRequested && (
          <PostForm action={`${jobHref(job.id)}/cancel`} csrfToken={csrfToken} label="Cancel the job">
            <div class="form-actions">
              <button type="submit" class="btn btn-danger">
                Cancel job
              </button>
            </div>
          </PostForm>
        )}
      </div>
    </Card>
    <Card id="log" title="Log" hint={log.offset > 0 ? `first ${log.offset} lines no longer kept` : undefined}>
      <div class="card-body">
        {log.lines.length === 0 ? (
          <p class="muted">No lines yet.</p>
        ) : (
          <pre class="job-log">{log.lines.join('\n')}</pre>
        )}
      </div>
    </Card>
  </AdminFrame>
);
