/**
 * `kill -9` of an edge in the middle of a download (DESIGN 4, "Nothing lost, nothing corrupt"):
 * the edge, run from the built CLI, dies with a half-written temporary file and is restarted on
 * the same data directory. Start-up removes the leftover, drops index entries whose file is
 * gone, and from then on only verified blobs are served.
 *
 * Run `npm run build` first: these tests spawn dist/bin/outpost.js.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readBody, readMetric, signRedirectToken, spawnEdge, type SpawnedEdge } from '../helpers/edge.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const REPO = 'team/app';
const MiB = 1 << 20;

let main: TestMain;
let upstream: FakeUpstream;
let data: TempDir;
let restarted: SpawnedEdge;
let reconciled: Record<string, unknown>;

// kept: verified before the crash. interrupted: half downloaded when the edge died.
// lost: verified before the crash, but its file was removed while the edge was down.
const kept = randomBlob(2 * MiB);
const interrupted = randomBlob(4 * MiB);
const lost = randomBlob(1000);

const blobFile = (digest: string) => join(data.path, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7));
const tmpDir = () => join(data.path, 'tmp');

async function get(edgeUrl: string, blob: Blob): Promise<Response> {
  return fetch(
    edgeBlobUrl(
      edgeUrl,
      REPO,
      blob.digest,
      await signRedirectToken(main, { repository: REPO, digest: blob.digest, audience: ['eu'] }),
    ),
  );
}

function edgeEnv(): Record<string, string> {
  return {
    OUTPOST_EDGE_NAME: 'eu',
    OUTPOST_EDGE_UPSTREAM: upstream.url,
    OUTPOST_EDGE_ISSUER: main.url,
    OUTPOST_EDGE_JWKS_URL: `${upstream.url}/auth/jwks.json`,
    OUTPOST_EDGE_DATA_DIR: data.path,
    // Small blobs stay on disk only, so that what is served after the restart comes from disk.
    OUTPOST_EDGE_MEMORY_CACHE_BYTES: '0',
  };
}

beforeAll(async () => {
  main = await startTestMain();
  upstream = await startFakeUpstream(() => main.service.keys.jwks());
  data = await createTempDir('outpost-edge-kill-');
  const first = await spawnEdge(edgeEnv());

  for (const blob of [kept, lost]) {
    upstream.serve(REPO, blob.digest, { bytes: blob.bytes });
    expect((await readBody(await get(first.url, blob))).bytes.equals(blob.bytes)).toBe(true);
  }
  // A client has every byte before the blob is committed: both are, before anything else happens.
  await waitFor(async () => (await readMetric(first.url, 'outpost_edge_store_blobs')) === 2, 'both blobs committed');

  const pause = upstream.serve(REPO, interrupted.digest, { bytes: interrupted.bytes, pauseAfter: 2 * MiB });
  const inFlight = await get(first.url, interrupted);
  expect(inFlight.status).toBe(200);
  await pause.reached;
  // The first half is on disk, under a temporary name.
  await waitFor(async () => {
    const names = await readdir(tmpDir());
    const sizes = await Promise.all(
      names.map((n) =>
        stat(join(tmpDir(), n)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    return sizes.some((size) => size >= 2 * MiB);
  }, 'half the blob in a temporary file');

  first.child.kill('SIGKILL');
  expect(await first.exited).toBe('SIGKILL');
  const cut = await readBody(inFlight);
  expect(cut.error).toBeDefined();
  expect(cut.bytes.byteLength).toBeLessThan(interrupted.size);
  pause.release();

  await rm(blobFile(lost.digest));
  expect((await readdir(tmpDir())).length).toBeGreaterThan(0);

  restarted = await spawnEdge(edgeEnv());
  const line = restarted
    .logs()
    .split('\n')
    .find((l) => l.includes('"msg":"store reconciled"'));
  reconciled = JSON.parse(line!) as Record<string, unknown>;
});
afterAll(async () => {
  if (restarted && restarted.child.exitCode === null) {
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }
  await upstream?.stop();
  await main?.stop();
  await data?.remove();
});

describe('an edge restarted after kill -9 during a download', () => {
  it('removed the half-written temporary file and dropped the entry whose file was gone', async () => {
    // At least the half-written file (a finished download's may have been on its way out).
    expect(reconciled.temporaryFilesRemoved).toBeGreaterThanOrEqual(1);
    expect(reconciled).toMatchObject({ entriesDropped: 1, filesIndexed: 0 });
    expect(await readdir(tmpDir())).toEqual([]);
    await expect(stat(blobFile(interrupted.digest))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('serves the blob verified before the crash from its store, without asking upstream', async () => {
    const fetches = upstream.count('GET', kept.digest);
    const res = await get(restarted.url, kept);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(kept.size));
    expect((await readBody(res)).bytes.equals(kept.bytes)).toBe(true);
    expect(upstream.count('GET', kept.digest)).toBe(fetches);
  });

  it('fetches the interrupted blob afresh and serves it whole and verified', async () => {
    upstream.serve(REPO, interrupted.digest, { bytes: interrupted.bytes });
    const body = await readBody(await get(restarted.url, interrupted));
    expect(body.error).toBeUndefined();
    expect(body.bytes.equals(interrupted.bytes)).toBe(true);
    expect(upstream.count('GET', interrupted.digest)).toBe(2);
    // Committed after the client had every byte.
    await waitFor(
      async () => (await stat(blobFile(interrupted.digest)).catch(() => undefined)) !== undefined,
      'the blob stored',
    );
    expect((await stat(blobFile(interrupted.digest))).size).toBe(interrupted.size);
  });

  it('fetches the blob whose file was lost afresh instead of failing', async () => {
    const body = await readBody(await get(restarted.url, lost));
    expect(body.bytes.equals(lost.bytes)).toBe(true);
    expect(upstream.count('GET', lost.digest)).toBe(2);
  });

  it('stops cleanly on SIGTERM', async () => {
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    expect(restarted.logs()).toContain('"msg":"edge cache stopped"');
  });
});
