/**
 * The production shape on loopback: three replicas of main on one PostgreSQL and one shared
 * blob store (a directory, as on NFS; then S3 on a real Ceph RGW), behind nginx (round robin).
 * A client's requests land on every replica in turn, so each push and pull below crosses
 * replicas: upload sessions, tokens, keys and manifests must be shared, not kept in one process.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, configBlob, imageManifest, randomBlob } from '../../helpers/oci-fixtures.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { REPLICA_ADMIN_PASSWORD, startReplicaSet, type ReplicaSet } from '../../helpers/replicas.js';
import { startS3, type S3TestServer } from '../../helpers/s3.js';
import { dockerRef, skopeo, writeDirLayout } from '../../helpers/skopeo.js';

let postgres: TestPostgres;
let s3: S3TestServer;
let work: string;

beforeAll(async () => {
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  work = await mkdtemp(join(tmpdir(), 'outpost-replicas-skopeo-'));
});
afterAll(async () => {
  await postgres?.remove();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const creds = `admin:${REPLICA_ADMIN_PASSWORD}`;

/** A small image: a config and three layers, one of them several MiB. */
function image() {
  const layers = [randomBlob(40_000), randomBlob(6 * 2 ** 20), randomBlob(300_000)];
  const config = configBlob();
  const manifest = imageManifest({ config, layers });
  return { manifest, blobs: [config, ...layers] };
}

type BlobsSetup = () => Promise<{ blobs?: string; env?: Record<string, string> }>;

const BLOB_STORES: Array<[string, BlobsSetup]> = [
  ['a shared directory', async () => ({})],
  [
    'S3',
    async () => ({
      blobs: `s3://${await s3.createBucket()}/registry?endpoint=${s3.endpoint}&region=${s3.region}`,
      // The AWS SDK's default chain, as an operator sets it for every replica.
      env: { ...s3.env },
    }),
  ],
];

describe.each(BLOB_STORES)('three replicas behind a load balancer, blobs in %s', (where, setup) => {
  let set: ReplicaSet;
  beforeAll(async () => {
    set = await startReplicaSet({ count: 3, databaseUrl: await postgres.createDatabase(), ...(await setup()) });
  });
  afterAll(() => set?.stop());

  it('each answers for the whole cluster: the status lists three live replicas on one database', async () => {
    const res = await fetch(`${set.url}/api/v0/meta/cluster_status`, {
      headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    const status = (await res.json()) as {
      replicas: Array<{ up: boolean; url: string }>;
      database: { location: string; healthy: boolean };
      blobStore: { location: string; healthy: boolean };
    };
    const live = status.replicas.filter((r) => r.up).map((r) => r.url);
    expect(live.sort()).toEqual(set.replicas.map((r) => r.url).sort());
    expect(status.database).toMatchObject({ healthy: true, location: expect.stringMatching(/^PostgreSQL at /) });
    expect(status.database.location).not.toContain(new URL(postgres.adminUrl).password);
    expect(status.blobStore).toMatchObject({
      healthy: true,
      location: where === 'S3' ? expect.stringMatching(/^s3:\/\//) : expect.stringMatching(/^directory /),
    });
    expect(JSON.stringify(status)).not.toContain(s3.credentials.secretAccessKey);
  });

  it('takes a skopeo push whose requests are spread over the replicas, and serves it back byte for byte', async () => {
    const { manifest, blobs } = image();
    const source = join(work, `push-${where}`);
    await writeDirLayout(source, manifest.bytes, blobs);
    await skopeo([
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      '--dest-creds',
      creds,
      `dir:${source}`,
      dockerRef(set.url, 'admin/app:v1'),
    ]);
    const pulled = join(work, `pull-${where}`);
    await skopeo([
      'copy',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--src-creds',
      creds,
      dockerRef(set.url, 'admin/app:v1'),
      `dir:${pulled}`,
    ]);
    expect(await readFile(join(pulled, 'manifest.json'))).toEqual(Buffer.from(manifest.bytes));
    for (const blob of blobs) {
      expect(blobOf(await readFile(join(pulled, blob.digest.slice('sha256:'.length)))).digest).toBe(blob.digest);
    }
    // Every replica answers for the tag (each is asked directly, not through the balancer).
    for (const replica of set.replicas) {
      const raw = await skopeo([
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        creds,
        dockerRef(replica.url, 'admin/app:v1'),
      ]);
      expect(raw.stdout).toEqual(Buffer.from(manifest.bytes));
    }
  });
});
