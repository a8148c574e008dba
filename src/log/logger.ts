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
  // Most strings (every access line's) hold neither a query parameter nor a URL: skip both regexes.
  if (!url.includes('=') && !url.includes('://')) return url;
  return url.replace(SECRET_QUERY, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`);
}

// Field names are few and fixed by the code that logs: whether each is a secret is remembered
// (up to a bound, in case a caller logs an object with arbitrary keys).
const secretKeys = new Map<string, boolean>();
const SECRET_KEYS_MAX = 1000;

function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < SECRET_KEYS_MAX) secretKeys.set(key, secret);
  }
  return secret;
}

/** The fields of `value`, each redacted as one level below `depth`. */
function redactFields(value: object, depth: number, out: LogFields = {}): LogFields {
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    out[key] = isSecretKey(key) ? REDACTED : redact((value as LogFields)[key], depth + 1);
  }
  return out;
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
  return redactFields(value, depth);
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go, with their level; defaults to stderr so stdout stays free for command output. */
  write?: (line: string, level: LogLevel) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}, bindings: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  // Redacted once: a line is the bindings, then the call's fields (which win), as if merged.
  const redactedBindings = redactFields(bindings, 0);
  // Lines come thousands a second: the time's text is formatted once per millisecond.
  let lastMs = Number.NaN;
  let lastTime = '';
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const date = now();
    const ms = date.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = date.toISOString();
    }
    const record: LogFields = { time: lastTime, level, msg: redactUrl(msg), ...redactedBindings };
    if (fields) redactFields(fields, 0, record);
    write(`${JSON.stringify(record)}\n`, level);
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
