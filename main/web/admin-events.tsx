/** @module Administration: the audit log, newest first, filtered by type, actor and time. */
import type { FC } from 'hono/jsx';
import type { EventView } from '../audit/audit-events.js';
import { AdminFrame } from './admin-frame.js';
import { Badge, Card, EmptyState, Field, Pager } from './components.js';

export interface EventFilters {
  type: string;
  actor: string;
  since: string;
}

/** The facts of an event's detail as `key=value` words, in their order. */
const detailText = (detail: EventView['detail']) =>
  Object.entries(detail)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');

export const AdminEventsPage: FC<{
  events: EventView[];
  filters: EventFilters;
  firstHref?: string | undefined;
  nextHref?: string | undefined;
}> = ({ events, filters, firstHref, nextHref }) => (
  <AdminFrame tab="events" title="Audit log" subtitle="Sign-ins, refusals and administrators' changes, newest first">
    <Card id="filters" title="Filter">
      <div class="card-body">
        <form method="get" action="/admin/events" aria-label="Filter events">
          <Field
            label="Type"
            name="type"
            value={filters.type}
            maxlength={128}
            placeholder="auth.sign-in"
            help="auth.sign-in, auth.throttled, registry.refused, cache.join-refused, admin.users, admin.orgs, ..."
          />
          <Field label="Actor" name="actor" value={filters.actor} maxlength={128} placeholder="a user name" />
          <Field
            label="Since"
            name="since"
            value={filters.since}
            maxlength={40}
            placeholder="2026-12-01T00:00:00Z"
            help="An ISO 8601 time; events at or after it."
          />
          <button type="submit" class="btn">
            Show events
          </button>
        </form>
      </div>
    </Card>
    <Card id="events" title="Events">
      {events.length === 0 ? (
        <EmptyState title="No events match">Change the filters, or wait for something to happen.</EmptyState>
      ) : (
        <div class="table-scroll" tabindex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Type</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr>
                  <td class="nowrap">
                    <time datetime={event.time}>{event.time.replace('T', ' ').slice(0, 19)}</time>
                  </td>
                  <td>
                    <code>{event.type}</code>
                  </td>
                  <td>{event.actor}</td>
                  <td class="muted">{event.target}</td>
                  <td>
                    {event.outcome === 'success' ? (
                      <Badge kind="up">success</Badge>
                    ) : (
                      <Badge kind="down">failure</Badge>
                    )}
                  </td>
                  <td class="muted">{detailText(event.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager first={firstHref} next={nextHref} />
    </Card>
  </AdminFrame>
);
