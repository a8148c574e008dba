/**
 * @module Starts a Hono app on Node's HTTP or HTTPS server and stops it gracefully.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { ListenAddress, TlsConfig } from '../config/common.js';
import { API_VERSION, API_VERSION_HEADER } from './headers.js';
import { oversizedPath } from './path-guard.js';

export interface RunningServer {
  /** The URL the server is reachable at (with the real port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/**
 * Answers a request from Node's own objects and returns true, or returns false untouched. It
 * may decide later (a promise): the request then waits for it, and goes to the app when it
 * resolves false or rejects, so the app answers every case the fast path does not.
 */
export type NodeFastPath = (incoming: IncomingMessage, outgoing: ServerResponse) => boolean | Promise<boolean>;

export interface StartServerOptions {
  fetch: (request: Request, env: unknown) => Response | Promise<Response>;
  listen: ListenAddress;
  tls?: TlsConfig;
  /** Tried before the app on every request (the edge's small hot blobs); the app gets the rest. */
  fastPath?: NodeFastPath;
}

/** Answers a request whose path is too long to route (path-guard.ts) and returns true. */
function refuseOversizedPath(req: IncomingMessage, res: ServerResponse): boolean {
  const refusal = oversizedPath(req.url ?? '/');
  if (!refusal) return false;
  // The body is not read: close the connection after answering instead of draining it.
  res.shouldKeepAlive = false;
  if (refusal.error) {
    const body = JSON.stringify(refusal.error.toJSON());
    res.writeHead(refusal.status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      [API_VERSION_HEADER]: API_VERSION,
    });
    res.end(body);
  } else {
    res.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('request path too long\n');
  }
  return true;
}

/** The server could not listen (address in use, not on this machine, privileged port). */
export class ListenError extends Error {
  readonly code = 'OUTPOST_LISTEN_FAILED';
  constructor(
    readonly address: string,
    readonly reason: string | undefined,
  ) {
    super(`cannot listen on ${address}: ${LISTEN_REASONS[reason ?? ''] ?? reason ?? 'unknown error'}`);
    this.name = 'ListenError';
  }
}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use by another process (on macOS, AirPlay takes port 5000)',
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'permission denied (ports below 1024 need privileges)',
};

/** While closing, how often connections that fell idle since are ended. */
const CLOSE_IDLE_EVERY_MS = 50;

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const tls =
    options.tls?.certFile && options.tls.keyFile
      ? { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }
      : undefined;
  const server = createAdaptorServer({
    fetch: options.fetch,
    ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
  }) as Server;
  // The adapter's listener turns every request into a Web Request for the app. In front of it,
  // on Node's objects: the path guard (before any router sees the path, see path-guard.ts), then
  // the fast path, which hands on what it does not answer.
  const fastPath = options.fastPath;
  const appListeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (refuseOversizedPath(req, res)) return;
    const answered = fastPath?.(req, res) ?? false;
    if (answered === true) return;
    if (answered === false) return toApp(req, res);
    // Bodiless requests only (a GET): the body, if any, stays unread until the app reads it.
    answered.then(
      (done) => done || toApp(req, res),
      () => toApp(req, res),
    );
  });
  function toApp(req: IncomingMessage, res: ServerResponse): void {
    for (const listener of appListeners) listener(req, res);
  }
  // Multi-gigabyte uploads and downloads can take long: no whole-request deadline, but a
  // deadline for headers (slow-loris) and for an idle socket.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  server.setTimeout(300_000);
  const { host: listenHost, port: listenPort } = options.listen;
  const address = `${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${listenPort}`;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(address, err.code));
    server.once('error', onError);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
  const url = `${tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    url,
    port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        // Node's close() only ends the keep-alive connections idle at that moment; one whose
        // response is still streaming would then sit idle until keepAliveTimeout and hold the
        // exit back for the whole grace period. Such connections are ended as they fall idle,
        // looked for a few times a second (not a listener on every response: see the edge's
        // small hits in load/).
        const idle = setInterval(() => server.closeIdleConnections(), CLOSE_IDLE_EVERY_MS);
        server.close(() => {
          clearTimeout(timer);
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
