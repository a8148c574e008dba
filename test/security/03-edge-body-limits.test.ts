/**
 * Issue 9, item 3 (the edge's part): every body the edge reads has a limit. The operator API
 * parsed JSON bodies of any size, and answers from main (JWKS, tokens, tag lists, manifests, the
 * join answer) were read whole, whatever main (or something in its place) sent; so were the
 * edge's answers to the operator's CLI (`outpost edge stats|warm|pin|unpin`).
 *
 * Request bodies over the limit are answered 413 SIZE_INVALID; a response from main over its
 * limit is dropped as soon as the limit is passed (the peer sees the connection close) and
 * becomes a clear error. Answers of a normal size work as before.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinMain } from '../../edge/join-main.js';
import { EdgeCredentials } from '../../edge/node-credential.js';
import { runAdminCommand } from '../../edge/admin-cli.js';
import { silentLogger } from '../../src/log/logger.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { startTestEdge, type TestEdge } from '../helpers/edge.js';
import { expectOciError, pushImage } from '../helpers/registry-http.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';
// What a misbehaving peer offers at most: far past every limit, so reading it whole is visible.
const ENDLESS_BYTES = 64 * 1024 * 1024;

/** A peer that answers `path` with `status` and an endless JSON-looking body; counts what it got out. */
interface EndlessPeer {
  url: string;
  /** Bytes written for `path` before the client hung up (or ENDLESS_BYTES). */
  sent(path: string): Promise<number>;
  stop(): Promise<void>;
}

async function startEndlessPeer(
  routes: Record<string, { status: number }>,
  otherwise: (path: string, res: ServerResponse) => void,
): Promise<EndlessPeer> {
  const sent = new Map<string, Promise<number>>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const route = routes[path];
    if (!route) return otherwise(path, res);
    res.writeHead(route.status, { 'Content-Type': 'application/json' });
    sent.set(
      path,
      new Promise((resolve) => {
        let total = 0;
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        res.write('{"padding":"');
        const pump = () => {
          while (total < ENDLESS_BYTES && !res.destroyed) {
            total += chunk.byteLength;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
          resolve(total);
        };
        res.once('close', () => resolve(total));
        pump();
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent: (path) => sent.get(path) ?? Promise.resolve(0),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let main: TestMain;
let secrets: TempDir;
let tokenFile: string;

beforeAll(async () => {
  main = await startTestMain();
  secrets = await createTempDir('outpost-edge-limits-');
  tokenFile = join(secrets.path, 'admin-token');
  await writeFile(tokenFile, OPERATOR_TOKEN);
  await pushImage(main.url, 'team/app', 'v1');
});
afterAll(async () => {
  await main?.stop();
  await secrets?.remove();
});

describe('the operator API (/api/v0/cache) reads at most 64 KiB of a request body', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await startTestEdge({
      name: 'eu',
      upstream: main.url,
      issuer: main.url,
      flags: { adminTokenFile: tokenFile },
    });
  });
  afterAll(async () => {
    await edge?.stop();
  });

  const JSON_TYPE = { 'Content-Type': 'application/json' };
  const resolve = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = JSON_TYPE) =>
    fetch(`${edge.url}/api/v0/cache/resolve`, {
      method: 'POST',
      body,
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, ...headers },
      duplex: 'half',
    } as RequestInit);

  it('answers 413 SIZE_INVALID for a larger body with a Content-Length', async () => {
    const body = JSON.stringify({ reference: 'team/app:v1', padding: 'x'.repeat(1024 * 1024) });
    const error = await expectOciError(await resolve(body), 413, 'SIZE_INVALID');
    expect(error.message).toBe('the request body is larger than 65536 bytes');
  });

  it('answers 413 SIZE_INVALID for a larger chunked body', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let left = 64;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left-- > 0) controller.enqueue(chunk);
        else controller.close();
      },
    });
    await expectOciError(await resolve(body), 413, 'SIZE_INVALID');
  });

  it('still resolves a reference sent in a body of a normal size', async () => {
    const res = await resolve(JSON.stringify({ reference: 'team/app:v1' }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { manifests: unknown[] }).manifests).toHaveLength(1);
  });
});

describe('answers from main are read up to a limit', () => {
  it('an edge given a JWKS larger than 256 KiB (nothing cached) stays unavailable, naming the limit', async () => {
    const jwks = { '/auth/jwks.json': { status: 200 } };
    const peer = await startEndlessPeer(jwks, (_, res) => void res.writeHead(404).end());
    let edge: TestEdge | undefined;
    try {
      const flags = { jwksUrl: `${peer.url}/auth/jwks.json` };
      // It starts (main may be down for a while) but has no key to verify with: 503 on /health.
      edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, flags });
      const res = await fetch(`${edge.url}/health`);
      expect(res.status).toBe(503);
      const { keys } = (await res.json()) as { keys: { keys: number; lastError: string } };
      expect(keys.keys).toBe(0);
      expect(keys.lastError).toMatch(/the JWKS from .* is larger than 262144 bytes/);
      expect(await peer.sent('/auth/jwks.json')).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await edge?.stop();
      await peer.stop();
    }
  });

  it('a warm whose tag list from main never ends fails with a clear 503, reading no more than the limit', async () => {
    const keys = JSON.stringify(main.service.keys.jwks());
    const peer = await startEndlessPeer({ '/v2/team/app/tags/list': { status: 200 } }, (path, res) => {
      if (path === '/auth/jwks.json') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(keys);
      res.writeHead(path === '/v2/' ? 200 : 404, { 'Content-Type': 'application/json' }).end('{}');
    });
    const flags = { adminTokenFile: tokenFile };
    const edge = await startTestEdge({ name: 'eu', upstream: peer.url, issuer: peer.url, flags });
    try {
      const res = await fetch(`${edge.url}/api/v0/cache/resolve`, {
        method: 'POST',
        body: JSON.stringify({ reference: 'team/app' }),
        headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, 'Content-Type': 'application/json' },
      });
      const error = await expectOciError(res, 503, 'UNAVAILABLE');
      expect(error.message).toBe("main's answer to the tags of team/app is larger than 1048576 bytes");
      expect(await peer.sent('/v2/team/app/tags/list')).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await edge.stop();
      await peer.stop();
    }
  });

  it("registering on main reads at most 64 KiB of main's refusal", async () => {
    const join = { '/api/v0/content_caches/join': { status: 400 } };
    const peer = await startEndlessPeer(join, (_, res) => void res.writeHead(404).end());
    const dispatcher = new Agent();
    try {
      const outcome = await joinMain({
        mainUrl: peer.url,
        credentials: new EdgeCredentials('/nonexistent', 'join-token', undefined),
        name: 'eu',
        host: 'http://127.0.0.1:1',
        upstream: peer.url,
        dispatcher,
        logger: silentLogger,
        signal: new AbortController().signal,
        attempts: 1,
      });
      expect(outcome).toBe('refused');
      expect(await peer.sent('/api/v0/content_caches/join')).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await dispatcher.close();
      await peer.stop();
    }
  });
});

describe("the operator's CLI reads the edge's answers up to a limit", () => {
  /** Runs `outpost edge <command> <args>` in this process against `edgeUrl`; collects what it prints. */
  async function outpostEdge(edgeUrl: string, command: string, ...args: string[]) {
    let out = '';
    let err = '';
    const io = {
      out: (text: string) => void (out += text),
      err: (text: string) => void (err += text),
      stdin: Readable.from([]),
    };
    const code = await runAdminCommand(command, args, { edge: edgeUrl, tokenFile }, {}, io);
    return { code, out, err };
  }

  it('stats fails with a clear message on an answer larger than 4 MiB, reading no more than that', async () => {
    const peer = await startEndlessPeer(
      { '/api/v0/cache/stats': { status: 200 } },
      (_, res) => void res.writeHead(404).end(),
    );
    try {
      const result = await outpostEdge(peer.url, 'stats');
      expect(result).toEqual({
        code: 1,
        out: '',
        err: "outpost edge stats: the edge's answer to stats is larger than 4194304 bytes\n",
      });
      expect(await peer.sent('/api/v0/cache/stats')).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await peer.stop();
    }
  });

  it('warm fails with a clear message on a progress line that never ends', async () => {
    const peer = await startEndlessPeer(
      { '/api/v0/cache/warm': { status: 200 } },
      (_, res) => void res.writeHead(404).end(),
    );
    try {
      const result = await outpostEdge(peer.url, 'warm', 'team/app:v1');
      expect(result.code).toBe(1);
      const message = "a line of the edge's answer to warm team/app:v1 is larger than 65536 bytes";
      expect(result.err).toBe(`outpost edge warm: ${message}\n`);
      expect(await peer.sent('/api/v0/cache/warm')).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await peer.stop();
    }
  });

  it('still prints the stats of a real edge', async () => {
    const edge = await startTestEdge({
      name: 'eu',
      upstream: main.url,
      issuer: main.url,
      flags: { adminTokenFile: tokenFile },
    });
    try {
      const result = await outpostEdge(edge.url, 'stats');
      expect(result.code).toBe(0);
      expect(result.err).toBe('');
      expect(result.out).toMatch(/^name: +eu\nblobs: +0 \(0 pinned\)\n/);
    } finally {
      await edge.stop();
    }
  });
});
