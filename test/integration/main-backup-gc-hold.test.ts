/**
 * A backup's metadata snapshot holds garbage collection (main/metadata/lmdb/gc-holds.ts) until
 * the backup has copied the blobs the snapshot knows: an image deleted after the snapshot keeps
 * its blobs through `outpost main gc`, run as its own process beside a serving main, until the
 * hold is released. Run `npm run build` first (the test setup does when dist/ is stale).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotEmbeddedMetadata } from '../../main/metadata/lmdb/backup-snapshot.js';
import { runOutpost } from '../helpers/outpost-processes.js';
import { pushImage } from '../helpers/registry-http.js';
import { spawnMain, type SpawnedMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { randomBlob } from '../helpers/oci-fixtures.js';

let temp: TempDir;
let main: SpawnedMain;
let data: string;

beforeAll(async () => {
  temp = await createTempDir('outpost-backup-hold-');
  data = join(temp.path, 'data');
  main = await spawnMain(data);
});

afterAll(async () => {
  main.child.kill('SIGTERM');
  await main.exited;
  await temp.remove();
});

const gc = () => runOutpost(['main', 'gc', '--data', data], '', { OUTPOST_MAIN_STORAGE__GC_GRACE_PERIOD: '0s' });

describe('a backup snapshot and garbage collection', () => {
  it('keeps every blob of the snapshot through a collection until the snapshot is released', async () => {
    const image = await pushImage(main.url, 'hold/app', 'v1', { layers: [randomBlob(4096), randomBlob(2048)] });
    const blobs = [image.manifest.config, ...image.layers];
    const snapshot = await snapshotEmbeddedMetadata(data, join(temp.path, 'snapshot'));
    let released = false;
    try {
      const listed = new Map(snapshot.blobs.map((b) => [b.digest as string, b]));
      for (const blob of blobs)
        expect(listed.get(blob.digest)).toEqual({ digest: blob.digest, size: blob.size, referenced: true });

      // Deleted after the snapshot: unreferenced now, collectable but for the hold.
      const del = await fetch(`${main.url}/v2/hold/app/manifests/${image.manifest.digest}`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      const held = await gc();
      expect(held.code, held.stderr).toBe(0);
      expect(held.stdout).toBe('removed 0 of 3 blobs (0 B)\n');
      for (const blob of blobs) {
        expect((await fetch(`${main.url}/v2/hold/app/blobs/${blob.digest}`, { method: 'HEAD' })).status).toBe(200);
      }

      await snapshot.release();
      released = true;
      expect((await gc()).stdout).toMatch(/^removed 3 of 3 blobs/);
      expect((await fetch(`${main.url}/v2/hold/app/blobs/${image.layers[0]!.digest}`, { method: 'HEAD' })).status).toBe(
        404,
      );
    } finally {
      if (!released) await snapshot.release();
    }
  });
});
