/**
 * @module A stand-in for a content cache when only main's redirects are measured: main probes
 * `<cache>/health` and stops redirecting to a cache that fails it, so something must answer
 * that; nothing else is ever asked of it (the load generator does not follow the 307s).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cleanup } from './cleanup.js';

/** Answers GET /health with 200 and anything else with 404, on a free port of 127.0.0.1. */
export async function startStubCache(cleanup: Cleanup): Promise<{ url: string; healthChecks(): number }> {
  let checks = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') checks++;
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' }).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.defer('stop the stub content cache', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, healthChecks: () => checks };
}
