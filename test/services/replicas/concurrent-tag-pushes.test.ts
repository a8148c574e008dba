/**
 * Two replicas take a push of the same tag at the same moment, round after round. PostgreSQL
 * serializes the two manifest puts: the tag ends on one of the two manifests (every replica
 * agrees which), both manifests stay whole and addressable by digest, and the repository's
 * event log records both pushes; neither is lost to the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configBlob, imageManifest, randomBlob } from '../../helpers/oci-fixtures.js';
import type { OutpostProcess } from '../../helpers/outpost-processes.js';
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
const repo = 'admin/contested';
const ROUNDS = 8;

async function pushBlob(base: string, blob: { digest: string; bytes: Uint8Array }): Promise<void> {
  const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST',
    headers: { Authorization: auth },
    body: blob.bytes,
  });
  expect(res.status, await res.text()).toBe(201);
}

function putManifest(base: string, tag: string, manifest: { bytes: Uint8Array; mediaType: string }) {
  return fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { Authorization: auth, 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
}

async function manifestDigest(base: string, reference: string): Promise<string | undefined> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    headers: { Authorization: auth, Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  await res.arrayBuffer();
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

describe('the same tag pushed through two replicas at once', () => {
  it('ends on one of the two manifests, keeps both whole, and records both pushes', async () => {
    const [a, b] = set.replicas as [OutpostProcess, OutpostProcess, OutpostProcess];
    const layer = randomBlob(50_000);
    await pushBlob(set.url, layer);
    const outcomes: Array<{ tag: string; digests: [string, string] }> = [];

    for (let round = 0; round < ROUNDS; round++) {
      const tag = `race-${round}`;
      // Two images that differ only in their config, each pushed in full before the race.
      const images = [
        imageManifest({ config: configBlob('amd64'), layers: [layer] }),
        imageManifest({
          config: configBlob('arm64'),
          layers: [layer],
        }),
      ] as const;
      for (const image of images) await pushBlob(set.url, image.config);
      const [first, second] = await Promise.all([
        putManifest(a.url, tag, images[0]),
        putManifest(b.url, tag, images[1]),
      ]);
      expect(first.status, await first.text()).toBe(201);
      expect(second.status, await second.text()).toBe(201);
      outcomes.push({ tag, digests: [images[0].digest, images[1].digest] });

      // Each manifest reads back byte for byte by digest, from every replica.
      for (const image of images) {
        for (const replica of set.replicas) {
          const res = await fetch(`${replica.url}/v2/${repo}/manifests/${image.digest}`, {
            headers: { Authorization: auth, Accept: image.mediaType },
          });
          expect(res.status).toBe(200);
          expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(image.bytes));
        }
      }
    }

    for (const { tag, digests } of outcomes) {
      // Replicas cache reads and learn of changes over LISTEN/NOTIFY: they converge, bounded.
      const winner = await manifestDigest(set.url, tag);
      expect(digests).toContain(winner);
      for (const replica of set.replicas) {
        await waitFor(
          async () => (await manifestDigest(replica.url, tag)) === winner,
          `${replica.url} to agree on ${tag}`,
        );
      }
    }

    const res = await fetch(`${set.url}/api/v0/repositories/${repo}/events?pageSize=1000`, {
      headers: { Authorization: auth },
    });
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as { events: Array<{ type: string; tag?: string; digest?: string }> };
    for (const { tag, digests } of outcomes) {
      const pushed = events.filter((e) => e.type === 'push' && e.tag === tag).map((e) => e.digest);
      expect(pushed.sort()).toEqual([...digests].sort());
    }
  });
});
