/**
 * @module Structured JSON-lines logger with redaction.
 *
 * The redaction list lives here and only here: any field whose name looks like a secret is
 * replaced, and `token=` query parameters and the passwords of URLs (`postgres://user:pw@db`)
 * are cut out of strings, so a token or password never
 * reaches a log line even when a caller logs a whole request.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|credential|private/i;
const SECRET_QUERY = /([?&](?:token|access_token|password|secret)=)[^&\s#]*/gi;
// The password of a URL's userinfo: scheme://user:PASSWORD@host
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]*@/gi;

export const REDACTED = '[redacted]';
/** Stands for an object nested deeper than redaction walks. */
export const TRUNCATED = '[truncated]';

/** Removes secret query parameters and userinfo passwords from a URL, a path or any text with URLs in it. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`);
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactUrl(value.message), code: (value as NodeJS.ErrnoException).code };
  }
  if (typeof value !== 'object' || value === null) return value;
  // What is not walked must not be written: a raw object past the limit would print the
  // secrets below it, and a cycle would make JSON.stringify throw.
  if (depth > 4) return TRUNCATED;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: LogFields = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? REDACTED : redact(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}, bindings: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const record = {
      time: now().toISOString(),
      level,
      msg: redactUrl(msg),
      ...(redact({ ...bindings, ...fields }) as LogFields),
    };
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (more) => createLogger(options, { ...bindings, ...more }),
  };
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = createLogger({ write: () => {} });
