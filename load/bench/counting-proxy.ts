/**
 * @module A counting TCP proxy on loopback, put between a cache and its origin to measure what
 * the cache fetches: bytes the origin sent and blob GETs the cache sent, for any cache
 * (outpost's edge, distribution's proxy) alike, without touching either.
 *
 * Bytes are piped untouched; the client-to-origin direction is scanned for request lines
 * (`GET /v2/<name>/blobs/<digest> HTTP/1.1`). A request line split across two TCP segments
 * would be missed; the requests here are a few hundred bytes written at once.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Cleanup } from './cleanup.js';

export interface ProxyCounts {
  connections: number;
  /** `GET .../blobs/...` requests seen going to the origin. */
  blobGets: number;
  /** Bytes the origin sent back (headers included). */
  bytesFromOrigin: number;
}

export interface CountingProxy {
  /** http://127.0.0.1:<port>, to give the cache as its upstream. */
  readonly url: string;
  counts(): ProxyCounts;
  reset(): void;
  close(): Promise<void>;
}

const BLOB_GET = /(?:^|\r\n)GET \/v2\/\S+\/blobs\/[a-z0-9]+:[a-f0-9]+[? ]/g;

export async function startCountingProxy(target: string, cleanup: Cleanup): Promise<CountingProxy> {
  const { hostname, port } = new URL(target);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost')
    throw new Error(`counting proxy: loopback targets only, got ${target}`);
  let counts: ProxyCounts = { connections: 0, blobGets: 0, bytesFromOrigin: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    counts.connections++;
    const origin = connect(Number(port), hostname);
    for (const s of [client, origin]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        origin.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      // Request lines are ASCII; latin1 decoding is a byte-for-byte view.
      const matches = chunk.toString('latin1').match(BLOB_GET);
      if (matches) counts.blobGets += matches.length;
    });
    origin.on('data', (chunk: Buffer) => {
      counts.bytesFromOrigin += chunk.byteLength;
    });
    client.pipe(origin);
    origin.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const closeEarly = cleanup.defer('stop counting proxy', close);
  return {
    url,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = { connections: 0, blobGets: 0, bytesFromOrigin: 0 };
    },
    close: closeEarly,
  };
}
