/**
 * `sendFileBody` writes a file's bytes to a response from one or two reused buffers. A buffer is
 * the socket's until the write's callback: a slow client that leaves writes queued must still get
 * exactly the file's bytes, with read-ahead (two buffers) and without it (one buffer).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFileBody } from '../../../src/http/node-bindings.js';

const bytes = randomBytes(3 * 1024 * 1024 + 12_345);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let dir: string;
let server: Server;
let readAhead = false;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-send-file-'));
  await writeFile(join(dir, 'blob'), bytes);
  server = createServer(async (req, res) => {
    const file = await open(join(dir, 'blob'));
    const start = Number(new URL(req.url!, 'http://x').searchParams.get('start') ?? 0);
    res.writeHead(200, { 'content-length': bytes.length - start });
    await sendFileBody(file, res, start, bytes.length - start, readAhead).finally(() => file.close());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** Reads the body slowly (paused between chunks), so the server's writes queue behind the socket. */
function slowGet(path: string): Promise<Buffer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        res.pause();
        setTimeout(() => res.resume(), 2);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe.each([false, true])('sendFileBody with readAhead=%s', (ahead) => {
  it('gives several slow clients at once exactly the file, from the start and from an offset', async () => {
    readAhead = ahead;
    const bodies = await Promise.all([slowGet('/'), slowGet('/'), slowGet('/?start=1000'), slowGet('/')]);
    expect(bodies.map((b) => b.length)).toEqual([bytes.length, bytes.length, bytes.length - 1000, bytes.length]);
    expect(sha256(bodies[0]!)).toBe(sha256(bytes));
    expect(sha256(bodies[1]!)).toBe(sha256(bytes));
    expect(sha256(bodies[2]!)).toBe(sha256(bytes.subarray(1000)));
    expect(sha256(bodies[3]!)).toBe(sha256(bytes));
  });
});
