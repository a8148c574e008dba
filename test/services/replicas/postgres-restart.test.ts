/**
 * PostgreSQL goes away under load and comes back. While it is down the replicas answer what needs
 * it with 503 UNAVAILABLE (the registered code for "cannot serve now, retry"), promptly: not 500,
 * not a hang, and no replica dies. Once it is back they serve again by themselves, with no
 * restart, and nothing is half-written: every tag that was answered 201 pulls complete.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageManifest, randomBlob, type Blob } from '../../helpers/oci-fixtures.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { basicAuth } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait-for.js';

let postgres: TestPostgres;
let set: ReplicaSet;

beforeAll(async () => {
  postgres = await startPostgres();
  set = await startReplicaSet({ count: 3, databaseUrl: await postgres.createDatabase() });
});
afterAll(async () => {
  await set?.stop();
  await postgres?.remove();
});

const auth = basicAuth('admin', REPLICA_ADMIN_PASSWORD);
const repo = 'admin/steady';
/** Generous: a request that has not answered by then is hanging on the lost database. */
const ANSWER_WITHIN_MS = 20_000;

type Image = Blob & { config: Blob; layers: Blob[] };

/** A registry request with credentials, aborted (failing the test) if it hangs. */
function call(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: { Authorization: auth, ...init.headers },
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
}

/** The error code of a non-2xx registry answer (spec envelope). */
async function errorCode(res: Response): Promise<string> {
  const text = await res.text();
  return (JSON.parse(text) as { errors: Array<{ code: string }> }).errors[0]?.code ?? text;
}

/**
 * Pushes an image's blobs and then its manifest under `tag`. Resolves with 201 when all went
 * through, or with the first refusal as `status code` (such as `503 UNAVAILABLE`).
 */
async function push(base: string, tag: string, image: Image): Promise<string> {
  for (const blob of [image.config, ...image.layers]) {
    const res = await call(`${base}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      body: blob.bytes,
    });
    if (res.status !== 201) return `${res.status} ${await errorCode(res)}`;
    await res.arrayBuffer();
  }
  const res = await call(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': image.mediaType },
    body: image.bytes,
  });
  if (res.status !== 201) return `${res.status} ${await errorCode(res)}`;
  await res.arrayBuffer();
  return '201';
}

function newImage(): Image {
  const layers = [randomBlob(20_000), randomBlob(3_000)];
  return { ...imageManifest({ layers }), layers };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('PostgreSQL restarted while the replicas take pushes', () => {
  it('answers 503 UNAVAILABLE while it is down, recovers alone, and leaves every accepted tag whole', async () => {
    const accepted = new Map<string, Image>();
    const refusals: string[] = [];
    let loading = true;
    // Three clients push through the balancer without pause until told to stop.
    const workers = [0, 1, 2].map(async (worker) => {
      for (let n = 0; loading; n++) {
        const tag = `w${worker}-${n}`;
        const image = newImage();
        const outcome = await push(set.url, tag, image);
        if (outcome === '201') accepted.set(tag, image);
        else refusals.push(outcome);
      }
    });

    await waitFor(() => accepted.size >= 6, 'some pushes before the database goes down');
    postgres.stopServer();
    const acceptedBefore = accepted.size;

    // Each replica, asked directly, refuses what needs the database, with the spec's code.
    for (const replica of set.replicas) {
      const started = await call(`${replica.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      expect(started.status).toBe(503);
      expect(await errorCode(started)).toBe('UNAVAILABLE');
      const tag = await call(`${replica.url}/v2/${repo}/manifests/never-pushed`);
      expect(tag.status).toBe(503);
      expect(await errorCode(tag)).toBe('UNAVAILABLE');
      expect(await push(replica.url, 'while-down', newImage())).toBe('503 UNAVAILABLE');
    }
    await waitFor(() => refusals.length >= 3, 'the clients to meet the outage');

    postgres.startServer();
    // No replica is restarted: each takes a push again once its pool reconnects.
    for (const replica of set.replicas) {
      await waitFor(
        async () => (await push(replica.url, `after-${replica.url.split(':').pop()}`, newImage())) === '201',
        `${replica.url} to serve again`,
        60_000,
      );
    }
    await waitFor(() => accepted.size >= acceptedBefore + 6, 'the clients to push again');
    loading = false;
    await Promise.all(workers);

    // None crashed (a dropped connection between two statements of a transaction once did).
    for (const replica of set.replicas) expect(replica.child.exitCode, replica.output().slice(-3000)).toBeNull();
    // Every refusal any client saw was the one the outage explains.
    expect(new Set(refusals)).toEqual(new Set(['503 UNAVAILABLE']));
    for (const [tag, image] of accepted) {
      const manifest = await call(`${set.url}/v2/${repo}/manifests/${tag}`, {
        headers: { Accept: image.mediaType },
      });
      expect(manifest.status, tag).toBe(200);
      expect(sha256(Buffer.from(await manifest.arrayBuffer()))).toBe(image.digest);
      for (const blob of [image.config, ...image.layers]) {
        const res = await call(`${set.url}/v2/${repo}/blobs/${blob.digest}`);
        expect(res.status, `${tag} ${blob.digest}`).toBe(200);
        expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(blob.digest);
      }
    }
  });
});
