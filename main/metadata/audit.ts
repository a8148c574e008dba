/**
 * @module The audit family: security events (sign-ins, refusals, admin changes), newest first,
 * kept within a retention of count and age. Written in batches by main/audit/audit-log.ts;
 * read by the events API and the admin page.
 */

/** What happened, by whom, to what. Values are short strings: never a secret, never a whole request. */
export interface AuditEvent {
  /** Sortable by time (`<ms, 15 digits>-<random>`): the newest event has the greatest id. */
  id: string;
  /** Epoch milliseconds. */
  at: number;
  /** e.g. `auth.sign-in`, `registry.refused`, `admin.user` (main/audit/audit-log.ts lists them). */
  type: string;
  /** Who: a user name, `anonymous`, or `edge:<name>`; an address is in `detail`. */
  actor: string;
  /** What it was about: a user, a repository, a cache... ('' when nothing in particular). */
  target: string;
  outcome: 'success' | 'failure';
  /** A few more facts (reason, status, address, action), flat. */
  detail: Record<string, string | number | boolean>;
}

export interface AuditQuery {
  type?: string;
  actor?: string;
  /** Only events at or after this time (epoch ms). */
  since?: number;
  /** Only events older than this one (the previous page's `next`). */
  before?: string;
  limit: number;
}

export interface AuditRetention {
  /** Events kept at most; the oldest go first. */
  maxEvents: number;
  /** Events older than this go. */
  maxAgeMs: number;
}

/** Events. Methods reject with the backend's failure and then changed nothing. */
export interface AuditStore {
  /** Stores the events (ids are unique: an id stored already is an error of the caller). */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Matching events, newest first, at most `limit`; `next` is set when there may be more. */
  list(query: AuditQuery): Promise<{ events: AuditEvent[]; next?: string }>;
  /** Removes what the retention no longer keeps; returns how many. */
  prune(retention: AuditRetention, now: number): Promise<number>;
}

/** Whether `event` passes the filters of `query` (for backends that filter while scanning). */
export function matchesAuditQuery(event: AuditEvent, query: AuditQuery): boolean {
  if (query.type !== undefined && event.type !== query.type) return false;
  if (query.actor !== undefined && event.actor !== query.actor) return false;
  return true;
}
