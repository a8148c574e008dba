/**
 * Garbage collection (`outpost main gc` as its own process, on the cluster's database and shared
 * blobs, with no grace period) runs while the replicas take manifest pushes that reference the
 * very blobs it is collecting: unreferenced, and older than the grace period. The manifest put and
 * the collection each re-check inside their transaction (main/registry/gc.ts), so either the push
 * wins and the blob stays, or the collection wins and the push is refused with
 * MANIFEST_BLOB_UNKNOWN. What must never happen is a 201 for a manifest whose blob is gone.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configBlob, imageManifest, randomBlob, type Blob } from '../../helpers/oci-fixtures.js';
import { runOutpost } from '../../helpers/outpost-processes.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { expectOciError } from '../../helpers/registry-http.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { basicAuth } from '../../helpers/servers.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let postgres: TestPostgres;
let databaseUrl: string;
let set: ReplicaSet;
let gcData: TempDir;

beforeAll(async () => {
  postgres = await startPostgres();
  databaseUrl = await postgres.createDatabase();
  set = await startReplicaSet({ count: 3, databaseUrl });
  gcData = await createTempDir('outpost-gc-data-');
});
afterAll(async () => {
  await set?.stop();
  await postgres?.remove();
  await gcData?.remove();
});

const auth = basicAuth('admin', REPLICA_ADMIN_PASSWORD);
const repo = 'admin/collected';
const ROUNDS = 3;
const IMAGES_PER_ROUND = 25;

async function pushBlob(blob: Blob): Promise<void> {
  const res = await fetch(`${set.url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    headers: { Authorization: auth },
    body: blob.bytes,
  });
  expect(res.status, await res.text()).toBe(201);
}

/** The blob's bytes through the balancer, hashed; undefined when it is not there. */
async function pulledDigest(digest: string): Promise<string | undefined> {
  const res = await fetch(`${set.url}/v2/${repo}/blobs/${digest}`, { headers: { Authorization: auth } });
  const bytes = Buffer.from(await res.arrayBuffer());
  return res.status === 200 ? `sha256:${createHash('sha256').update(bytes).digest('hex')}` : undefined;
}

function collectGarbage() {
  return runOutpost(
    [
      'main',
      'gc',
      '--data',
      join(gcData.path, 'main'),
      '--database',
      databaseUrl,
      '--blobs',
      set.blobs,
      '--secret-key-file',
      set.secretKeyFile,
    ],
    '',
    { OUTPOST_MAIN_STORAGE__GC_GRACE_PERIOD: '0s' },
  );
}

describe('outpost main gc while the replicas take pushes of the blobs it is collecting', () => {
  it('never deletes a blob of a manifest that was accepted; pushes it beat are refused', async () => {
    const accepted: Array<ReturnType<typeof imageManifest> & { layers: Blob[] }> = [];
    const orphans: Blob[] = [];
    let refused = 0;

    for (let round = 0; round < ROUNDS; round++) {
      // Blobs uploaded and not yet referenced: exactly what GC collects once the grace is over.
      const images = Array.from({ length: IMAGES_PER_ROUND }, () => {
        const layers = [randomBlob(2_000)];
        return { ...imageManifest({ config: configBlob(`arch-${Math.random()}`), layers }), layers };
      });
      const orphan = randomBlob(1_000);
      orphans.push(orphan);
      for (const blob of [orphan, ...images.flatMap((i) => [i.config, ...i.layers])]) await pushBlob(blob);

      let collecting = true;
      const gc = collectGarbage().finally(() => (collecting = false));
      for (const image of images) {
        // Paced while the collector runs (it takes a moment to start), so that they overlap.
        if (collecting) await sleep(40);
        const res = await fetch(`${set.url}/v2/${repo}/manifests/${image.digest}`, {
          method: 'PUT',
          headers: { Authorization: auth, 'Content-Type': image.mediaType },
          body: image.bytes,
        });
        if (res.status === 201) accepted.push(image);
        else {
          await expectOciError(res, 404, 'MANIFEST_BLOB_UNKNOWN');
          refused++;
        }
      }
      const result = await gc;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^removed \d+ of \d+ blobs/);
    }

    // Every blob of every accepted manifest reads back whole, also after one more collection.
    const check = async () => {
      for (const image of accepted) {
        for (const blob of [image.config, ...image.layers]) expect(await pulledDigest(blob.digest)).toBe(blob.digest);
      }
    };
    await check();
    const last = await collectGarbage();
    expect(last.code, last.stderr).toBe(0);
    await check();
    expect(accepted.length + refused).toBe(ROUNDS * IMAGES_PER_ROUND);
    // The collector did run with no grace: blobs no manifest ever referenced are gone.
    for (const orphan of orphans) expect(await pulledDigest(orphan.digest)).toBeUndefined();
  });
});
