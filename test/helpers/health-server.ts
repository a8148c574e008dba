/**
 * Stand-ins for an edge as main's health probe sees it: a server answering `GET /health` with
 * 200, and the URL of a loopback port nothing listens on (the probe fails with a refused
 * connection).
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(): Promise<HealthServer> {
  const server = createServer((req, res) => {
    res
      .writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'text/plain' })
      .end(req.url === '/health' ? 'ok' : 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL whose port was free a moment ago: connections to it are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
