import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../../src/oci/digest.js';
import { DigestMismatchError, SizeMismatchError } from '../../../src/store/errors.js';
import { FsBlobStore } from '../../../src/store/fs-blob-store.js';
import { Download } from '../../../edge/cache/download.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** An upstream body the test feeds by hand: push chunks, then end or fail it. */
function feed() {
  const queue: Array<Uint8Array | Error | null> = [];
  let wake: (() => void) | undefined;
  const put = (item: Uint8Array | Error | null) => {
    queue.push(item);
    wake?.();
  };
  async function* body(): AsyncIterable<Uint8Array> {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift()!;
      if (item === null) return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
  return {
    body: body(),
    push: (chunk: Uint8Array) => put(chunk),
    end: () => put(null),
    fail: (err: Error) => put(err),
  };
}

/** Reads a stream to its end, or to its error: what a client on the other end would get. */
async function drain(stream: Readable): Promise<{ bytes: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

/** Resolves once `stream` has delivered at least `n` bytes (read in flowing mode into `into`). */
function collect(stream: Readable) {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  let ended = false;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('error', (e) => (error = e));
  stream.on('end', () => (ended = true));
  return {
    get length() {
      return chunks.reduce((n, c) => n + c.byteLength, 0);
    },
    get bytes() {
      return Buffer.concat(chunks);
    },
    get error() {
      return error;
    },
    get ended() {
      return ended;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

let temp: TempDir;
beforeEach(async () => {
  temp = await createTempDir('outpost-download-');
});
afterEach(async () => {
  await temp.remove();
});

/** A download into a fresh store; `temporary()` says whether its growing file still exists. */
async function newDownload(bytes: Buffer, digest: Digest = digestOf(bytes)) {
  const store = await FsBlobStore.create(temp.path);
  const temporary = async () => (await readdir(join(temp.path, 'tmp'))).length > 0;
  return { download: await Download.create(digest, bytes.byteLength, store), store, temporary };
}

describe('Download.run', () => {
  it('verifies size and digest, commits, and ends in state verified', async () => {
    const bytes = randomBytes(100_000);
    const { download, store, temporary } = await newDownload(bytes);
    const up = feed();
    let committed: Buffer | undefined;
    const running = download.run(up.body, async (d) => {
      await d.adopt();
      const { file } = await store.openFile(d.digest);
      committed = await file.readFile();
      await file.close();
    });
    up.push(bytes.subarray(0, 40_000));
    up.push(bytes.subarray(40_000));
    up.end();
    await running;
    expect(download.state).toBe('verified');
    expect(download.error).toBeUndefined();
    expect(committed?.equals(bytes)).toBe(true);
    // With no reader left, the temporary file is gone (commit adopted it into the store).
    expect(await temporary()).toBe(false);
    expect(await store.stat(download.digest)).toEqual({ size: bytes.byteLength });
  });

  it('fails with DigestMismatchError on wrong bytes of the right length, without committing', async () => {
    const bytes = randomBytes(1000);
    const { download, store, temporary } = await newDownload(bytes);
    let commits = 0;
    await download.run(
      (async function* () {
        yield randomBytes(1000);
      })(),
      async () => void commits++,
    );
    expect(download.state).toBe('failed');
    expect(download.error).toBeInstanceOf(DigestMismatchError);
    expect(commits).toBe(0);
    expect(await temporary()).toBe(false);
    expect(await store.stat(download.digest)).toBeUndefined();
    await expect(download.adopt()).rejects.toThrow(/only a verified download/);
  });

  it('fails with SizeMismatchError when the body is short or too long', async () => {
    const bytes = randomBytes(1000);
    const short = await newDownload(bytes);
    await short.download.run(
      (async function* () {
        yield bytes.subarray(0, 999);
      })(),
      async () => {},
    );
    expect(short.download.error).toBeInstanceOf(SizeMismatchError);

    await temp.remove();
    temp = await createTempDir('outpost-download-');
    const long = await newDownload(bytes);
    await long.download.run(
      (async function* () {
        yield bytes;
        yield Buffer.from([0]);
      })(),
      async () => {},
    );
    expect(long.download.error).toBeInstanceOf(SizeMismatchError);
  });

  it('fails with the body error when the upstream breaks off', async () => {
    const { download } = await newDownload(randomBytes(10));
    const up = feed();
    const running = download.run(up.body, async () => {});
    up.push(Buffer.alloc(3));
    up.fail(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    await running;
    expect(download.state).toBe('failed');
    expect(download.error?.message).toBe('other side closed');
  });

  it('still gives readers the verified bytes when commit fails (disk full): not kept, degraded', async () => {
    const bytes = randomBytes(10);
    const { download } = await newDownload(bytes);
    const reader = download.createReader();
    await download.run(
      (async function* () {
        yield bytes;
      })(),
      async () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    );
    expect(download.state).toBe('verified');
    expect(download.kept).toBe(false);
    expect(download.degraded?.message).toBe('no space left on device');
    expect(Buffer.concat(await reader.toArray()).equals(bytes)).toBe(true);
  });

  it('settles whenSettled on either outcome', async () => {
    const bytes = randomBytes(10);
    const { download } = await newDownload(bytes);
    const settled = download.whenSettled();
    void download.run(
      (async function* () {
        yield randomBytes(10);
      })(),
      async () => {},
    );
    await settled;
    expect(download.state).toBe('failed');
  });
});

describe('Download.createReader', () => {
  it('gives a reader that joined before any byte the whole blob, once verified', async () => {
    const bytes = randomBytes(300_000);
    const { download } = await newDownload(bytes);
    const reader = drain(download.createReader());
    const up = feed();
    const running = download.run(up.body, async () => {});
    for (let i = 0; i < bytes.byteLength; i += 50_000) up.push(bytes.subarray(i, i + 50_000));
    up.end();
    await running;
    const got = await reader;
    expect(got.error).toBeUndefined();
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('follows the download as it progresses but holds the last byte back until the digest is verified', async () => {
    const bytes = randomBytes(1000);
    const { download } = await newDownload(bytes);
    const up = feed();
    const running = download.run(up.body, async () => {});
    const reader = collect(download.createReader());
    up.push(bytes.subarray(0, 600));
    await tick();
    expect(reader.bytes.equals(bytes.subarray(0, 600))).toBe(true);
    up.push(bytes.subarray(600));
    await tick();
    // Every byte has arrived; the reader is still one short until verification ends the body.
    expect(reader.length).toBeLessThanOrEqual(999);
    up.end();
    await running;
    await tick();
    expect(reader.ended).toBe(true);
    expect(reader.bytes.equals(bytes)).toBe(true);
  });

  it('ends every reader with an error, never a complete body, when the digest does not match', async () => {
    const bytes = randomBytes(5000);
    const wrong = randomBytes(5000);
    const { download } = await newDownload(bytes);
    const readers = [
      drain(download.createReader()),
      drain(download.createReader({ start: 0, end: 99 })),
      drain(download.createReader({ start: 4000, end: 4999 })),
    ];
    await download.run(
      (async function* () {
        yield wrong.subarray(0, 2500);
        yield wrong.subarray(2500);
      })(),
      async () => {},
    );
    for (const got of await Promise.all(readers)) {
      expect(got.error).toBeInstanceOf(DigestMismatchError);
    }
    const [whole, head, tail] = await Promise.all(readers);
    expect(whole!.bytes.byteLength).toBeLessThan(5000);
    expect(head!.bytes.byteLength).toBeLessThan(100);
    expect(tail!.bytes.byteLength).toBeLessThan(1000);
  });

  it('answers a range from what has arrived and completes it once verified', async () => {
    const bytes = randomBytes(10_000);
    const { download } = await newDownload(bytes);
    const up = feed();
    const running = download.run(up.body, async () => {});
    up.push(bytes.subarray(0, 6000));
    await tick();
    const early = collect(download.createReader({ start: 1000, end: 1999 }));
    const late = collect(download.createReader({ start: 8000, end: 9999 }));
    await tick();
    expect(early.bytes.equals(bytes.subarray(1000, 1999))).toBe(true);
    expect(late.length).toBe(0);
    up.push(bytes.subarray(6000));
    up.end();
    await running;
    await tick();
    expect([early.ended, late.ended]).toEqual([true, true]);
    expect(early.bytes.equals(bytes.subarray(1000, 2000))).toBe(true);
    expect(late.bytes.equals(bytes.subarray(8000, 10_000))).toBe(true);
  });

  it('keeps the file open for a reader that is still reading after the download settled', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const { download, temporary } = await newDownload(bytes);
    const reader = download.createReader();
    await download.run(
      (async function* () {
        yield bytes;
      })(),
      async () => {},
    );
    expect(await temporary()).toBe(true);
    const got = await drain(reader);
    expect(got.bytes.equals(bytes)).toBe(true);
    await tick();
    expect(await temporary()).toBe(false);
  });

  it('releases the file when a reader is destroyed early (the client went away)', async () => {
    const bytes = randomBytes(1000);
    const { download, temporary } = await newDownload(bytes);
    const reader = download.createReader();
    reader.destroy();
    await download.run(
      (async function* () {
        yield bytes;
      })(),
      async () => {},
    );
    await tick();
    expect(await temporary()).toBe(false);
  });
});
