/**
 * @module Main's connection to PostgreSQL: one pool per process, queries, and transactions that
 * retry what PostgreSQL asks to retry. Every owner in main/metadata/postgres/ goes through this.
 *
 * Failures to reach the server become `BackendUnavailableError` (a 503 UNAVAILABLE for clients,
 * src/http/error-handler.ts): while PostgreSQL restarts requests fail fast and cleanly, and the
 * pool reconnects by itself once it is back. Connection strings carry passwords: only
 * redacted forms of them (src/log/logger.ts `redactUrl`) reach logs and messages.
 */
import pg from 'pg';
import { BackendUnavailableError } from '../../../src/store/errors.js';
import { redactUrl } from '../../../src/log/logger.js';

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export type Row = Record<string, unknown>;

/** What owners query through: the pool, or the client of the transaction they run in. */
export interface Queryable {
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface PostgresOptions {
  /** Connections this process keeps at most (default 10). */
  maxConnections?: number;
  /** How long a request waits for a connection before it fails with 503 (default 5 s). */
  connectTimeoutMs?: number;
  /** A statement running longer is cancelled (default 30 s): a stuck query must not hold a request forever. */
  statementTimeoutMs?: number;
  /** Reported in pg_stat_activity, so an operator sees which replica holds a connection. */
  applicationName?: string;
  /** Told about errors on idle connections (the server went away); the pool replaces them. */
  onIdleError?: (error: Error) => void;
}

export interface TransactionOptions {
  isolation?: Isolation;
  /** Attempts after a serialization failure or a deadlock (default 8). */
  retries?: number;
}

// SQLSTATEs that mean "run the transaction again": the outcome was rolled back entirely.
const RETRYABLE = new Set(['40001', '40P01']);
// Class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now), 53300 (too
// many connections): the server is not serving us now; the request may be retried later.
const UNAVAILABLE_STATES = /^(08...|57P0[1-3]|53300)$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether an error from `pg` means the database cannot be reached (rather than a bad query). */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  // pg reports a dropped socket and a connect timeout without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message,
  );
}

const unavailable = (err: unknown): unknown =>
  isConnectionFailure(err) ? new BackendUnavailableError('database', { cause: err }) : err;

/** A LISTEN on one channel over its own connection, kept up until closed. */
export interface Listener {
  close(): Promise<void>;
}

export interface ListenHandlers {
  onMessage(payload: string): void;
  /** The connection was lost and is back: notifications sent in between are gone. */
  onGap(): void;
  onError?(error: Error): void;
}

// Channel names are identifiers; only ours, never user input, reach LISTEN.
const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresDatabase implements Queryable {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    /** The server's address without credentials. */
    readonly description: string,
  ) {}

  /** Opens a pool and checks that the server answers; throws `BackendUnavailableError` otherwise. */
  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
    const clientConfig: pg.ClientConfig = {
      connectionString: url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      application_name: options.applicationName ?? 'outpost-main',
    };
    const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
    // Without a listener, an idle connection that the server drops would crash the process.
    pool.on('error', (err) => options.onIdleError?.(err));
    const db = new PostgresDatabase(pool, clientConfig, redactUrl(url));
    try {
      await db.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return db;
  }

  async query<R extends object = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      const result = await this.pool.query(sql, params as unknown[]);
      return result.rows as R[];
    } catch (err) {
      throw unavailable(err);
    }
  }

  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. After
   * a serialization failure or a deadlock the whole of `fn` runs again, so it must not have
   * effects outside the transaction (no blob writes, no events sent) before it resolves.
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const isolation = options.isolation ?? 'read committed';
    const retries = options.retries ?? 8;
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw unavailable(err);
      }
      let broken = false;
      // A checked-out client has no pool listener: the server ending the connection between two
      // statements (a restart, pg_terminate_backend) is an 'error' event that, unheard, crashes
      // the process. Heard, it marks the client broken; the next statement fails as unavailable.
      const dropped = () => {
        broken = true;
      };
      client.on('error', dropped);
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
        const tx: Queryable = {
          query: async <R extends object>(sql: string, params: readonly unknown[] = []) =>
            (await client.query(sql, params as unknown[])).rows as R[],
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken ||= isConnectionFailure(err);
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        const code = (err as { code?: unknown }).code;
        if (!broken && typeof code === 'string' && RETRYABLE.has(code) && attempt < retries) {
          // Jittered backoff, so that two replicas that collided do not collide again in step.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 6)));
          continue;
        }
        throw unavailable(err);
      } finally {
        // A connection that failed mid-transaction is destroyed rather than reused.
        client.removeListener('error', dropped);
        client.release(broken);
      }
    }
  }

  /** Sends `payload` to every listener of `channel` (delivered when the surrounding transaction, if any, commits). */
  async notify(channel: string, payload: string): Promise<void> {
    await this.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  /**
   * Listens on `channel` over a dedicated connection (a pooled one would be handed to others).
   * A lost connection is re-established with backoff, and `onGap` then tells the caller that
   * notifications may have been missed, so that it can drop whatever they would have refreshed.
   */
  async listen(channel: string, handlers: ListenHandlers): Promise<Listener> {
    if (!CHANNEL_PATTERN.test(channel)) throw new Error(`invalid channel name "${channel}"`);
    let closed = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let failures = 0;
    const connect = async (isReconnect: boolean): Promise<void> => {
      const next = new pg.Client(this.clientConfig);
      next.on('notification', (message) => {
        if (message.channel === channel) handlers.onMessage(message.payload ?? '');
      });
      const lost = (err?: Error) => {
        if (closed || client !== next) return;
        client = undefined;
        if (err) handlers.onError?.(err);
        next.end().catch(() => {});
        schedule();
      };
      next.on('error', lost);
      next.on('end', () => lost());
      try {
        await next.connect();
        await next.query(`LISTEN ${channel}`);
      } catch (err) {
        next.end().catch(() => {});
        if (!isReconnect) throw unavailable(err);
        handlers.onError?.(err as Error);
        schedule();
        return;
      }
      if (closed) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      failures = 0;
      if (isReconnect) handlers.onGap();
    };
    const schedule = () => {
      if (closed || retry) return;
      const delay = Math.min(5_000, 100 * 2 ** failures++);
      retry = setTimeout(() => {
        retry = undefined;
        void connect(true);
      }, delay);
      retry.unref();
    };
    await connect(false);
    return {
      async close() {
        closed = true;
        if (retry) clearTimeout(retry);
        const current = client;
        client = undefined;
        await current?.end().catch(() => {});
      },
    };
  }

  /** Waits for running queries, then closes every connection. */
  close(): Promise<void> {
    return this.pool.end();
  }
}
