/**
 * @module What a relay saw, for finding where a pull's round trips go: connection opens and
 * closes, the first line of each HTTP request a client sent and of each response it got back,
 * with times. A diagnostic of the geo benchmark (`--param trace=yes`), not a measurement: it
 * looks only at chunks that start with a request or status line, which is how HTTP/1.1 clients
 * without pipelining (skopeo, docker, the edge) send them.
 */

export type RelayEvent =
  | { kind: 'open'; connection: number; atMs: number }
  /**
   * A request left the client at `atMs` (the relay is on the client's side of the link) and
   * reaches the server at `arrivalMs`; selected headers, lower-cased.
   */
  | { kind: 'request'; connection: number; atMs: number; arrivalMs: number; line: string; headers: Headers }
  /** A response's first bytes left the server at `sentMs` and reached the client at `atMs`. */
  | { kind: 'response'; connection: number; atMs: number; sentMs: number; line: string; headers: Headers }
  /** More bytes of a response (not starting a new one) reached the client at `atMs`. */
  | { kind: 'data'; connection: number; atMs: number; bytes: number }
  | { kind: 'close'; connection: number; atMs: number };

type Headers = Record<string, string>;

export type RelayObserver = (event: RelayEvent) => void;

const REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/;
const STATUS_LINE = /^HTTP\/1\.[01] \d{3}/;
/** The headers that decide whether a connection survives a response. */
const KEPT_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive']);
/** Request and status lines are short; a head larger than this is not looked at further. */
const HEAD_LIMIT = 8192;

/** The first line and the connection-related headers of a message head. */
function parseHead(head: string): { line: string; headers: Headers } {
  const lines = head.split('\r\n\r\n', 1)[0]!.split('\r\n');
  const headers: Headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && KEPT_HEADERS.has(name)) headers[name] = line.slice(colon + 1).trim();
  }
  return { line: lines[0]!, headers };
}

/**
 * The request line (query string cut: queries carry tokens and scopes) and connection-related
 * headers of `chunk` if it starts an HTTP/1.x request.
 */
export function requestHead(chunk: Buffer): { line: string; headers: Headers } | undefined {
  const head = chunk.subarray(0, HEAD_LIMIT).toString('latin1');
  if (!REQUEST_LINE.test(head)) return undefined;
  const parsed = parseHead(head);
  return { ...parsed, line: parsed.line.replace(/\?\S*/, '?…') };
}

/** The status line and connection-related headers of `chunk` if it starts an HTTP/1.x response. */
export function responseHead(chunk: Buffer): { line: string; headers: Headers } | undefined {
  const head = chunk.subarray(0, HEAD_LIMIT).toString('latin1');
  return STATUS_LINE.test(head) ? parseHead(head) : undefined;
}

/** Events in time order, one line each, times in ms from `originMs` (default: the first event). */
export function formatTrace(events: readonly RelayEvent[], label: string, originMs?: number): string[] {
  const sorted = [...events].sort((a, b) => a.atMs - b.atMs);
  const origin = originMs ?? sorted[0]?.atMs ?? 0;
  const ms = (t: number) => `${(t - origin).toFixed(0)} ms`;
  const listed = (headers: Headers) => {
    const all = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    return all.length > 0 ? ` (${all.join(', ')})` : '';
  };
  return sorted.map((e) => {
    const at = `${ms(e.atMs).padStart(9)} ${label} #${e.connection}`;
    switch (e.kind) {
      case 'open':
        return `${at} open`;
      case 'close':
        return `${at} close`;
      case 'request':
        return `${at} → ${e.line}${listed(e.headers)}, at the server ${ms(e.arrivalMs)}`;
      case 'response':
        return `${at} ← ${e.line}${listed(e.headers)}, left the server ${ms(e.sentMs)}`;
      default:
        return `${at} ← ${e.bytes} more bytes`;
    }
  });
}

export interface TraceSummary {
  /** HTTP requests the clients sent, and other bytes that got an HTTP response (a TLS hello). */
  requests: number;
  /** Connections the clients opened. */
  connections: number;
  /**
   * Milliseconds during which at least one request was waiting for its response: from the
   * connection's open (for its first request: the handshake is part of the wait) or the
   * request's start, to the response's first bytes. Divided by the RTT: the round trips a
   * client spent waiting on the far end.
   */
  waitingMs: number;
}

export function summarizeTrace(events: readonly RelayEvent[]): TraceSummary {
  const opened = new Map<number, number>();
  const waiting = new Map<number, number>();
  const intervals: Array<[number, number]> = [];
  let requests = 0;
  for (const e of [...events].sort((a, b) => a.atMs - b.atMs)) {
    if (e.kind === 'open') opened.set(e.connection, e.atMs);
    else if (e.kind === 'request') {
      requests++;
      const open = opened.get(e.connection);
      opened.delete(e.connection);
      waiting.set(e.connection, open ?? e.atMs);
    } else if (e.kind === 'response') {
      // A response to bytes that were no HTTP request (skopeo's TLS hello to a plain-HTTP main)
      // still cost the wait since the open: count it as a request.
      const since = waiting.get(e.connection) ?? opened.get(e.connection);
      if (!waiting.has(e.connection) && since !== undefined) requests++;
      waiting.delete(e.connection);
      opened.delete(e.connection);
      if (since !== undefined) intervals.push([since, e.atMs]);
    }
  }
  intervals.sort((a, b) => a[0] - b[0]);
  let waitingMs = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [from, to] of intervals) {
    if (to <= end) continue;
    waitingMs += to - Math.max(from, end);
    end = to;
  }
  const connections = events.filter((e) => e.kind === 'open').length;
  return { requests, connections, waitingMs };
}
