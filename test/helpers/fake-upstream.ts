/**
 * A misbehaving upstream for edge tests: a tiny HTTP server on 127.0.0.1 that serves a JWKS
 * (main's keys, so tokens signed by a test main verify) and blobs the way a test tells it to:
 * whole, slowly, paused mid-body until released, cut off mid-body, or with the wrong bytes.
 * It records every request so that tests count upstream fetches where they happen.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeBlob {
  /** The bytes sent (wrong ones, for a digest-check test). */
  bytes: Buffer;
  /** Send this many body bytes, then wait until the pause is released. */
  pauseAfter?: number;
  /** Send this many body bytes (after the pause, if both are set), then destroy the socket. */
  abortAfter?: number;
  /** Answer with this status and an empty body instead. */
  status?: number;
  /** Leave Content-Length out (chunked encoding). */
  omitLength?: boolean;
}

export interface Pause {
  /** Resolves when a response reached its pause point. */
  reached: Promise<void>;
  /** Lets paused responses send the rest. */
  release(): void;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  headers: IncomingMessage['headers'];
}

export interface FakeUpstream {
  url: string;
  requests: RecordedRequest[];
  /** Serves `blob` for GET and HEAD of `/v2/<name>/blobs/<digest>`; returns its pause, if any. */
  serve(name: string, digest: string, blob: FakeBlob): Pause;
  /** Requests with this method whose path ends with `suffix`. */
  count(method: string, suffix?: string): number;
  stop(): Promise<void>;
}

function createPause(): Pause & { hit(): void; wait(): Promise<void> } {
  let hit!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (hit = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { reached, release, hit, wait: () => released };
}

async function write(res: ServerResponse, bytes: Buffer): Promise<void> {
  if (bytes.byteLength === 0) return;
  if (!res.write(bytes)) await new Promise((resolve) => res.once('drain', resolve));
}

export async function startFakeUpstream(jwks: () => unknown): Promise<FakeUpstream> {
  const blobs = new Map<string, { blob: FakeBlob; pause: ReturnType<typeof createPause> }>();
  const requests: RecordedRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      headers: req.headers,
    });
    if (path === '/auth/jwks.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks()));
      return;
    }
    if (path === '/v2/' || path === '/v2') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    const served = blobs.get(path);
    if (!served) {
      res
        .writeHead(404, { 'Content-Type': 'application/json' })
        .end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
      return;
    }
    const { blob, pause } = served;
    if (blob.status !== undefined) {
      res.writeHead(blob.status).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      ...(!blob.omitLength && { 'Content-Length': String(blob.bytes.byteLength) }),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stop = Math.min(blob.pauseAfter ?? Infinity, blob.abortAfter ?? Infinity, blob.bytes.byteLength);
    await write(res, blob.bytes.subarray(0, stop));
    if (blob.pauseAfter !== undefined) {
      pause.hit();
      await pause.wait();
    }
    if (blob.abortAfter !== undefined) {
      // Let the bytes reach the edge, then cut the connection as a crashed upstream would.
      await new Promise((resolve) => setTimeout(resolve, 20));
      res.destroy();
      return;
    }
    await write(res, blob.bytes.subarray(stop));
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    serve(name, digest, blob) {
      const pause = createPause();
      blobs.set(`/v2/${name}/blobs/${digest}`, { blob, pause });
      return pause;
    },
    count: (method, suffix = '') => requests.filter((r) => r.method === method && r.path.endsWith(suffix)).length,
    async stop() {
      for (const { pause } of blobs.values()) pause.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
