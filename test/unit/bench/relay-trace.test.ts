import { once } from 'node:events';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRelay } from '../../../load/bench/geo/relay.js';
import {
  formatTrace,
  requestHead,
  responseHead,
  summarizeTrace,
  type RelayEvent,
} from '../../../load/bench/geo/relay-trace.js';
import { WanLink } from '../../../load/bench/geo/wan-link.js';

/** One GET on a connection of its own (`Connection: close`, as skopeo sends every request). */
async function getOnce(hostPort: string, path: string): Promise<void> {
  const res = (await once(get(`http://${hostPort}${path}`, { agent: false }), 'response')) as [NodeJS.ReadableStream];
  for await (const _ of res[0]);
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('reading HTTP heads in what the geo relay carries', () => {
  it('names a request by its line, cuts the query (tokens, scopes) and keeps the connection headers', () => {
    const chunk = Buffer.from(
      'GET /auth/token?scope=repository:a:pull&account=bob HTTP/1.1\r\nHost: main\r\n' +
        'Authorization: Basic Ym9iOnNlY3JldA==\r\nConnection: close\r\n\r\n',
    );
    expect(requestHead(chunk)).toEqual({ line: 'GET /auth/token?… HTTP/1.1', headers: { connection: 'close' } });
  });

  it('names a response by its status line with the headers that decide whether its connection survives', () => {
    const chunk = Buffer.from(
      'HTTP/1.1 307 Temporary Redirect\r\nLocation: http://edge/x?token=secret\r\nContent-Length: 0\r\n' +
        'Connection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n',
    );
    expect(responseHead(chunk)).toEqual({
      line: 'HTTP/1.1 307 Temporary Redirect',
      headers: { 'content-length': '0', connection: 'keep-alive', 'keep-alive': 'timeout=65' },
    });
  });

  it('sees no head in body bytes or in a TLS hello', () => {
    expect(requestHead(Buffer.from('{"token":"GET / HTTP/1.1\\r\\n"}'))).toBeUndefined();
    expect(responseHead(Buffer.from('body HTTP/1.1 200 OK\r\n'))).toBeUndefined();
    expect(requestHead(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01]))).toBeUndefined();
  });

  it('lists events in time order, in ms from the given origin', () => {
    const events: RelayEvent[] = [
      { kind: 'close', connection: 1, atMs: 1_400 },
      { kind: 'open', connection: 1, atMs: 1_000 },
      { kind: 'request', connection: 1, atMs: 1_001, arrivalMs: 1_151, line: 'GET /v2/ HTTP/1.1', headers: {} },
      {
        kind: 'response',
        connection: 1,
        atMs: 1_203,
        sentMs: 1_153,
        line: 'HTTP/1.1 401 Unauthorized',
        headers: { connection: 'close' },
      },
      { kind: 'data', connection: 1, atMs: 1_204, bytes: 72 },
    ];
    expect(formatTrace(events, 'c', 900)).toEqual([
      '   100 ms c #1 open',
      '   101 ms c #1 → GET /v2/ HTTP/1.1, at the server 251 ms',
      '   303 ms c #1 ← HTTP/1.1 401 Unauthorized (connection: close), left the server 253 ms',
      '   304 ms c #1 ← 72 more bytes',
      '   500 ms c #1 close',
    ]);
  });
});

describe('summing up what a relay saw', () => {
  const request = (connection: number, atMs: number): RelayEvent => ({
    kind: 'request',
    connection,
    atMs,
    arrivalMs: atMs + 75,
    line: 'GET /v2/ HTTP/1.1',
    headers: {},
  });
  const response = (connection: number, atMs: number): RelayEvent => ({
    kind: 'response',
    connection,
    atMs,
    sentMs: atMs - 75,
    line: 'HTTP/1.1 200 OK',
    headers: {},
  });

  it("counts requests and connections, and the time waiting on a response from each connection's open", () => {
    const events: RelayEvent[] = [
      // A new connection: its handshake is part of the wait (0 to 300).
      { kind: 'open', connection: 1, atMs: 0 },
      request(1, 1),
      response(1, 300),
      { kind: 'data', connection: 1, atMs: 301, bytes: 10 },
      // A kept-alive one waits from its request (400 to 550).
      request(1, 400),
      response(1, 550),
      // Two at once count once (1000 to 1300 and 1100 to 1350: 350).
      { kind: 'open', connection: 2, atMs: 1_000 },
      { kind: 'open', connection: 3, atMs: 1_100 },
      request(3, 1_100),
      request(2, 1_001),
      response(2, 1_300),
      response(3, 1_350),
      // A connection that sent nothing adds no wait.
      { kind: 'open', connection: 4, atMs: 2_000 },
      { kind: 'close', connection: 4, atMs: 2_400 },
      // A TLS hello (no request line) answered with a 400 waited from the open too.
      { kind: 'open', connection: 5, atMs: 3_000 },
      response(5, 3_300),
    ];
    expect(summarizeTrace(events)).toEqual({ requests: 5, connections: 5, waitingMs: 300 + 150 + 350 + 300 });
    expect(summarizeTrace([])).toEqual({ requests: 0, connections: 0, waitingMs: 0 });
  });
});

describe('the geo relay observed', () => {
  it("reports each connection, request and response of an HTTP exchange, with the link's delays", async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/v2/' ? 401 : 200, { 'content-length': '2' });
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const relay = await startRelay({
      link: new WanLink({ rttMs: 40, rateBitsPerSecond: 0 }),
      listenHost: '127.0.0.1',
      targetHost: '127.0.0.1',
      targetPort: (server.address() as AddressInfo).port,
    });
    cleanups.push(() => relay.close());
    const events: RelayEvent[] = [];
    relay.observe((e) => events.push(e));

    for (const path of ['/v2/', '/v2/a/manifests/1']) await getOnce(relay.hostPort, path);
    // Each connection's close reaches the relay after the body: wait for the second one.
    await vi.waitFor(() => expect(events.filter((e) => e.kind === 'close')).toHaveLength(2));
    relay.observe(undefined);
    await getOnce(relay.hostPort, '/unseen');

    // The first connection's close may reach the relay after the second connection opened.
    const of = (connection: number) =>
      events.filter((e) => e.connection === connection && e.kind !== 'data').map((e) => e.kind);
    expect([of(1), of(2), of(3)]).toEqual([
      ['open', 'request', 'response', 'close'],
      ['open', 'request', 'response', 'close'],
      [],
    ]);
    expect(events.find((e) => e.kind === 'request' && e.connection === 2)).toMatchObject({
      line: 'GET /v2/a/manifests/1 HTTP/1.1',
    });
    const [, request, response] = events as [
      RelayEvent,
      RelayEvent & { kind: 'request' },
      RelayEvent & { kind: 'response' },
    ];
    expect(request).toMatchObject({ line: 'GET /v2/ HTTP/1.1', headers: { connection: 'close' } });
    expect(response).toMatchObject({ line: 'HTTP/1.1 401 Unauthorized', headers: { 'content-length': '2' } });
    // A new connection's request reaches the server after the handshake's round trip and half of one more.
    expect(request.arrivalMs - events[0]!.atMs).toBeGreaterThanOrEqual(60);
    expect(response.atMs - response.sentMs).toBeGreaterThanOrEqual(20);
  });
});
