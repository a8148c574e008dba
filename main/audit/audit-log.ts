/**
 * @module The audit log: `audit.record({type, actor, target, outcome, detail})` from anywhere in
 * main, for security events. A record is logged at once (info, `log: "audit"`) and stored in
 * batches through the audit owner (main/metadata/audit.ts), so the request that caused it does
 * not wait for a write; `stop()` writes what is still queued, so a clean shutdown loses nothing.
 * The retention (count and age) is applied after writes, at most once a minute.
 *
 * What it must not do: hold a secret. Callers pass names, reasons and statuses, never a token,
 * a password or a query string; the logger's redaction is the second line, not the first.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Logger } from '../../src/log/logger.js';
import type { AuditEvent, AuditQuery, AuditRetention, AuditStore } from '../metadata/audit.js';

/**
 * The kinds of event (the `type` filter of `GET /api/v0/events`):
 * - `auth.sign-in`: a password sign-in (registry token, web, API), success or failure;
 * - `auth.throttled`: a sign-in refused or delayed for too many failures;
 * - `registry.refused`: a push or pull refused (401, 403);
 * - `cache.join-refused`: an edge's join token refused;
 * - `admin.<what>`: an administrator's change of users, orgs, teams, settings, caches or keys
 *   (or a refused attempt at one).
 */
export type AuditType =
  | 'auth.sign-in'
  | 'auth.throttled'
  | 'registry.refused'
  | 'cache.join-refused'
  | `admin.${'users' | 'orgs' | 'teams' | 'settings' | 'caches' | 'keys'}`;

export interface AuditRecord {
  type: AuditType;
  actor: string;
  target?: string;
  outcome: AuditEvent['outcome'];
  detail?: AuditEvent['detail'];
}

export interface AuditLog {
  /** Queues one event; never throws, never waits. */
  record(event: AuditRecord): void;
  /** Stored events, newest first (what is still queued is written first). */
  list(query: AuditQuery): Promise<{ events: AuditEvent[]; next?: string }>;
  /** Writes what is queued now. */
  flush(): Promise<void>;
  /** Writes what is queued and stops the timer. */
  stop(): Promise<void>;
}

export interface AuditLogOptions {
  store: AuditStore;
  logger: Logger;
  now?: () => number;
  retention?: AuditRetention;
  /** How long a record may wait in the queue. Default 1 s. */
  flushAfterMs?: number;
}

/** Events kept by default: 100,000, for 90 days. */
export const DEFAULT_AUDIT_RETENTION: AuditRetention = { maxEvents: 100_000, maxAgeMs: 90 * 24 * 3600_000 };
// A flood (a password spray) is written in batches of BATCH. While the store fails, the queue stops
// at MAX_QUEUED: the oldest queued are dropped, which is logged (each event's own log line remains).
const BATCH = 500;
const MAX_QUEUED = 20_000;
const PRUNE_EVERY_MS = 60_000;
const FIELD_LIMIT = 256;

const clip = (value: string) => (value.length > FIELD_LIMIT ? `${value.slice(0, FIELD_LIMIT)}…` : value);

/** A time-sortable id: milliseconds, zero-padded, then randomness against ties. */
export function auditEventId(at: number): string {
  return `${String(at).padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { store, now = Date.now, retention = DEFAULT_AUDIT_RETENTION, flushAfterMs = 1000 } = options;
  const logger = options.logger.child({ log: 'audit' });
  let queue: AuditEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let prunedAt = -Infinity;

  const write = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, BATCH);
      queue = queue.slice(BATCH);
      try {
        await store.append(batch);
      } catch (error) {
        logger.error('audit events could not be stored; they are in this log only', { error, events: batch.length });
      }
    }
    if (now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now();
    const removed = await store.prune(retention, now()).catch((error: unknown) => {
      logger.warn('old audit events could not be removed', { error });
      return 0;
    });
    if (removed > 0) logger.info('removed audit events past their retention', { removed });
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    writing = writing.then(write);
    return writing;
  };

  return {
    record(record) {
      const at = now();
      const event: AuditEvent = {
        id: auditEventId(at),
        at,
        type: record.type,
        actor: clip(record.actor),
        target: clip(record.target ?? ''),
        outcome: record.outcome,
        detail: Object.fromEntries(
          Object.entries(record.detail ?? {}).map(([k, v]) => [k, typeof v === 'string' ? clip(v) : v]),
        ),
      };
      logger.info(record.type, { actor: event.actor, target: event.target, outcome: event.outcome, ...event.detail });
      queue.push(event);
      if (queue.length > MAX_QUEUED) {
        queue.splice(0, queue.length - MAX_QUEUED);
        logger.warn('audit queue full: dropped the oldest queued events', { kept: MAX_QUEUED });
      }
      if (queue.length >= BATCH) void flush();
      else timer ??= setTimeout(() => void flush(), flushAfterMs).unref();
    },
    async list(query) {
      await flush();
      return store.list(query);
    },
    flush,
    stop: flush,
  };
}

/** Who ran a command-line change: `cli:<OS user>` (the OS knows; main's accounts are not asked). */
export function commandLineActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Records one event from a command (`outpost main keys rotate`...) and writes it before returning. */
export async function recordNow(store: AuditStore, record: AuditRecord, logger: Logger): Promise<void> {
  const audit = createAuditLog({ store, logger });
  audit.record(record);
  await audit.stop();
}
