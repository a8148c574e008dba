/**
 * Issue 9, item 10: blob file handles leaked on main when clients disconnected early (358 open
 * handles after 30 aborted downloads; Node closed them only on garbage collection, DEP0137).
 *
 * Main runs in this process, so its open files are this process's: /proc/self/fd, read through
 * readlink, lists every descriptor that points into main's data directory.
 */
import { readdir, readlink } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { pushBlob } from '../helpers/registry-http.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

const ABORTED = 30;
const blob = randomBlob(4 * 1024 * 1024);

/** Descriptors of this process open on files under `dir`. */
async function openFilesUnder(dir: string): Promise<string[]> {
  const targets: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(`${dir}/blobs/`)) targets.push(target);
  }
  return targets;
}

/**
 * A GET that hangs up after the first body bytes, or `afterMs` after sending the request (while
 * main may still be opening the blob: the moment that leaked, hit by spreading the delays).
 */
function abortedDownload(
  url: string,
  when: 'after-first-bytes' | { afterMs: number },
  headers: Record<string, string> = {},
): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = request(url, { agent: false, headers });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.on('response', (res) => {
      res.once('data', () => req.destroy());
      res.on('error', () => resolve());
    });
    if (when !== 'after-first-bytes') req.on('finish', () => setTimeout(() => req.destroy(), when.afterMs));
    req.end();
  });
}

/** A raw GET whose connection ends with the request: main reads the request and the hang-up at once. */
function hangUpWithRequest(url: string): Promise<void> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise<void>((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.resume();
    socket.end(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  });
}

describe('GET /v2/<name>/blobs/<digest> when the client disconnects early', () => {
  let main: TestMain;
  beforeEach(async () => {
    main = await startTestMain();
    await pushBlob(main.url, 'team/big', blob);
  });
  afterEach(async () => {
    await main.stop();
  });

  it('closes every blob file it opened, however early the client left', async () => {
    const url = `${main.url}/v2/team/big/blobs/${blob.digest}`;
    expect(await openFilesUnder(main.dataDir)).toEqual([]);
    const downloads: Promise<void>[] = [];
    for (let i = 0; i < ABORTED; i++) {
      downloads.push(abortedDownload(url, 'after-first-bytes'));
      downloads.push(hangUpWithRequest(url));
      for (const afterMs of [0, 1, 2, 4]) {
        downloads.push(abortedDownload(url, { afterMs }));
        downloads.push(abortedDownload(url, { afterMs }, { Range: 'bytes=1000-' }));
      }
    }
    await Promise.all(downloads);
    let open: string[] = [];
    const allClosed = async () => (open = await openFilesUnder(main.dataDir)).length === 0;
    await waitFor(allClosed, 'every blob file to be closed', 15_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${open.length} still open`);
    });

    // The same blob still downloads whole afterwards.
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(blob.bytes))).toBe(true);
    expect(await openFilesUnder(main.dataDir)).toEqual([]);
  });
});
