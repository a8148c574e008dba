/**
 * Graceful shutdown (DESIGN.md section 4, "Configured like a service"): on SIGTERM main stops
 * accepting connections, lets in-flight responses finish within the grace period, closes LMDB
 * and exits 0. Main runs from the built CLI (run `npm run build` first).
 */
import { createHash } from 'node:crypto';
import { Agent, get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRandomFile } from '../helpers/oci-fixtures.js';
import { pushFile } from '../helpers/streamed-requests.js';
import { spawnMain, type SpawnedMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const SIZE = 64 * 2 ** 20;
// Longer than the test timeout: an exit that waits for the grace timer fails the test.
const GRACE = { OUTPOST_MAIN_SHUTDOWN_GRACE: '120s' };

/** Tries a fresh TCP connection: undefined when it was accepted, else the error code. */
function tryConnect(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    // A connection that raced the listener's close sat in its backlog and is reset: try again,
    // until the port refuses outright.
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNRESET' ? undefined : (err.code ?? 'error')),
    );
  });
}

interface Download {
  response: IncomingMessage;
  /** Settles with the sha256 digest and byte count of the whole body. */
  finished: Promise<{ digest: string; bytes: number }>;
}

/** GETs `url` over a keep-alive connection (as registry clients do) and pauses after the first chunk. */
function startPausedDownload(url: string, agent: Agent): Promise<Download> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      const hash = createHash('sha256');
      let bytes = 0;
      const finished = new Promise<{ digest: string; bytes: number }>((done, fail) => {
        response.on('end', () => done({ digest: `sha256:${hash.digest('hex')}`, bytes }));
        response.on('error', fail);
        response.on('aborted', () => fail(new Error('download aborted')));
      });
      response.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        if (bytes === 0) {
          response.pause();
          resolve({ response, finished });
        }
        bytes += chunk.byteLength;
      });
    }).on('error', reject);
  });
}

describe('SIGTERM while a large blob download is in flight', () => {
  let work: TempDir;
  let data: string;
  let blob: { digest: string; size: number };
  let main: SpawnedMain;
  let refusal: string;
  let aliveWhileDraining: boolean;
  let download: { digest: string; bytes: number };
  let exitCode: number | string;

  beforeAll(async () => {
    work = await createTempDir('outpost-shutdown-');
    data = join(work.path, 'data');
    const file = join(work.path, 'big.bin');
    blob = await writeRandomFile(file, SIZE);
    main = await spawnMain(data, [], GRACE);
    const pushed = await pushFile(main.url, 'shutdown/big', file, blob.digest, blob.size);
    expect(pushed.status).toBe(201);

    const agent = new Agent({ keepAlive: true });
    const inFlight = await startPausedDownload(`${main.url}/v2/shutdown/big/blobs/${blob.digest}`, agent);
    expect(inFlight.response.statusCode).toBe(200);

    main.child.kill('SIGTERM');
    const port = Number(new URL(main.url).port);
    refusal = await waitFor(() => tryConnect(port), 'main to stop accepting connections');
    // Refusing new connections must not end the process while a response is still going out.
    aliveWhileDraining = main.child.exitCode === null && main.child.signalCode === null;

    inFlight.response.resume();
    download = await inFlight.finished;
    exitCode = await main.exited;
    agent.destroy();
  });

  afterAll(async () => {
    if (main && main.child.exitCode === null) main.child.kill('SIGKILL');
    await work?.remove();
  });

  it('refuses new connections once the signal arrived', () => {
    expect(refusal).toBe('ECONNREFUSED');
  });

  it('keeps running while the in-flight download drains', () => {
    expect(aliveWhileDraining).toBe(true);
  });

  it('completes the in-flight download with every byte of the blob', () => {
    expect(download.bytes).toBe(blob.size);
    expect(download.digest).toBe(blob.digest);
  });

  it('exits 0 after closing the database, without waiting for the grace period to cut the idle connection', () => {
    expect(exitCode).toBe(0);
    expect(main.logs()).toContain('"msg":"shutting down"');
    expect(main.logs()).toContain('"msg":"main registry stopped"');
  });

  it('leaves a database that reopens: a restarted main serves the blob and reports healthy', async () => {
    const again = await spawnMain(data);
    try {
      const head = await fetch(`${again.url}/v2/shutdown/big/blobs/${blob.digest}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(blob.size));
      const health = await fetch(`${again.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' });
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    }
  });
});
