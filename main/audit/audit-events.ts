/**
 * @module Reading the audit log, for administrators only: the query behind
 * `GET /api/v0/events` and the page /admin/events, parsed from strings with every limit checked.
 */
import { requireAdmin } from '../accounts/account-management.js';
import { AccountError } from '../accounts/errors.js';
import type { Principal } from '../accounts/permissions.js';
import type { AuditEvent, AuditQuery } from '../metadata/audit.js';
import type { AuditLog } from './audit-log.js';

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 500;
const ID = /^\d{15}-[0-9a-f]{12}$/;
const MAX_FILTER_LENGTH = 128;

/** The filters as a client sends them (query parameters or form fields); absent or '' means none. */
export interface EventsRequest {
  type?: string | undefined;
  actor?: string | undefined;
  /** An ISO 8601 time or epoch milliseconds. */
  since?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}

/** An event as the API shows it: the time as ISO 8601. */
export interface EventView extends Omit<AuditEvent, 'at'> {
  time: string;
}

export interface EventsPage {
  events: EventView[];
  /** Pass as `cursor` for the next (older) page; absent on the last one. */
  nextCursor?: string;
}

const given = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

export function parseEventsRequest(request: EventsRequest): AuditQuery {
  const query: AuditQuery = { limit: DEFAULT_EVENTS_LIMIT };
  for (const field of ['type', 'actor'] as const) {
    const value = given(request[field]);
    if (value === undefined) continue;
    if (value.length > MAX_FILTER_LENGTH)
      throw new AccountError('INVALID_INPUT', `${field}: at most ${MAX_FILTER_LENGTH} characters`);
    query[field] = value;
  }
  const since = given(request.since);
  if (since !== undefined) {
    const at = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
    if (!Number.isSafeInteger(at))
      throw new AccountError('INVALID_INPUT', 'since: expected an ISO 8601 time or epoch ms');
    query.since = at;
  }
  const limit = given(request.limit);
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_EVENTS_LIMIT)
      throw new AccountError('INVALID_INPUT', `limit: expected a whole number from 1 to ${MAX_EVENTS_LIMIT}`);
    query.limit = n;
  }
  const cursor = given(request.cursor);
  if (cursor !== undefined) {
    if (!ID.test(cursor)) throw new AccountError('INVALID_INPUT', 'cursor: not a cursor this API returned');
    query.before = cursor;
  }
  return query;
}

/** The events matching `request`, newest first; administrators only (NO_PERMISSION otherwise). */
export async function listAuditEvents(
  audit: Pick<AuditLog, 'list'>,
  principal: Principal,
  request: EventsRequest,
): Promise<EventsPage> {
  requireAdmin(principal, 'read the audit log');
  const { events, next } = await audit.list(parseEventsRequest(request));
  return {
    events: events.map(({ at, ...rest }) => ({ ...rest, time: new Date(at).toISOString() })),
    ...(next !== undefined && { nextCursor: next }),
  };
}
