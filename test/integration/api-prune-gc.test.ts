/**
 * Pruning frees the space (issue 13): a real run deletes the tags its policy names and the
 * manifests they leave untagged (with their untagged referrers), keeping a manifest an index
 * still lists; the `gc` job afterwards removes exactly the pruned images' own blobs and keeps the
 * shared ones, and kept tags still pull. `keepUntaggedManifests` keeps the manifests. A real main
 * with token auth and an injected clock; runs on PostgreSQL too (services-postgres).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, apiOk, createUser, pushImageAs, putManifestAs } from '../helpers/api-client.js';
import { imageManifest, indexManifest, randomBlob, sha256, type Blob } from '../helpers/oci-fixtures.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

const DAY_MS = 86_400_000;
let clock = Date.parse('2031-01-01T00:00:00Z');
let main: TestMain;
let base: string;
let alice: string;

interface Report {
  dryRun: boolean;
  tags: Array<{ tag: string }>;
  manifests: string[];
}
interface JobView {
  state: string;
  summary?: Record<string, unknown>;
}

beforeAll(async () => {
  main = await startTestMain({ auth: true, now: () => clock });
  base = main.url;
  alice = await createUser(base, 'alice');
});
afterAll(async () => {
  await main.stop();
});

const status = async (repo: string, kind: 'blobs' | 'manifests', reference: string) =>
  (await fetch(`${base}/v2/${repo}/${kind}/${reference}`, { method: 'HEAD', headers: { Authorization: alice } }))
    .status;

async function expectPulls(repo: string, tag: string, blobs: Blob[]): Promise<void> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    headers: { Authorization: alice, Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  for (const blob of blobs) {
    const got = await fetch(`${base}/v2/${repo}/blobs/${blob.digest}`, { headers: { Authorization: alice } });
    expect(got.status).toBe(200);
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(blob.digest);
  }
}

async function runGc(): Promise<Record<string, unknown>> {
  const { id } = await apiOk<{ id: string }>(base, 'POST', '/jobs', 202, { auth: ADMIN, body: { kind: 'gc' } });
  const job = await waitFor(async () => {
    const view = await apiOk<JobView>(base, 'GET', `/jobs/${id}`, 200, { auth: ADMIN });
    return ['done', 'failed', 'cancelled'].includes(view.state) && view;
  }, `gc job ${id} to end`);
  expect(job.state).toBe('done');
  return job.summary!;
}

const policyOf = (repo: string, body: unknown) =>
  apiOk(base, 'PUT', `/repositories/${repo}/pruningPolicies`, 200, { auth: alice, body });
const pruneNow = (repo: string) =>
  apiOk<Report>(base, 'POST', `/repositories/${repo}/pruneNow`, 200, { auth: alice, body: {} });

describe('a real prune run, then the gc job', () => {
  it('deletes the untagged manifests; gc removes their own blobs only; kept tags still pull', async () => {
    const repo = 'alice/app';
    const shared = randomBlob(1000);
    const ownOld1 = [randomBlob(2000), randomBlob(3000)];
    const ownOld2 = randomBlob(500);
    const ownNew = randomBlob(700);
    clock -= 30 * DAY_MS;
    const old1 = await pushImageAs(base, alice, repo, 'old-1', [shared, ...ownOld1]);
    const old2 = await pushImageAs(base, alice, repo, 'old-2', [shared, ownOld2]);
    // A signature of old-1, pushed by digest (untagged): it goes with its subject.
    const sigLayer = randomBlob(100);
    const signature = imageManifest({ layers: [sigLayer], artifactType: 'application/example.sig', subject: old1 });
    const upload = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sigLayer.digest}`, {
      method: 'POST',
      headers: { Authorization: alice },
      body: sigLayer.bytes,
    });
    expect(upload.status).toBe(201);
    expect((await putManifestAs(base, alice, repo, signature.digest, signature)).status).toBe(201);
    // A tagged index still lists old-2: old-2's manifest stays when its tag goes.
    const index = indexManifest([old2]);
    expect((await putManifestAs(base, alice, repo, 'bundle', index)).status).toBe(201);
    clock += 30 * DAY_MS;
    const fresh = await pushImageAs(base, alice, repo, 'new-1', [shared, ownNew]);
    await policyOf(repo, { rules: [{ tagPattern: 'old-*', olderThanDays: 10 }] });

    const dry = await apiOk<Report>(base, 'POST', `/repositories/${repo}/pruningPolicies/test`, 200, {
      auth: alice,
      body: {},
    });
    expect(dry.tags.map((t) => t.tag)).toEqual(['old-1', 'old-2']);
    expect(dry.manifests).toEqual([old1.digest, signature.digest].sort());
    expect(await status(repo, 'manifests', old1.digest)).toBe(200);

    const real = await pruneNow(repo);
    expect(real).toEqual({ ...dry, dryRun: false });
    expect(await status(repo, 'manifests', old1.digest)).toBe(404);
    expect(await status(repo, 'manifests', signature.digest)).toBe(404);
    expect(await status(repo, 'manifests', old2.digest)).toBe(200);

    clock += 2 * 3_600_000; // past the collector's grace period
    const summary = await runGc();
    // old-1's two layers and the signature's layer; nothing else was unreferenced.
    expect(summary).toMatchObject({ removed: 3, removedBytes: 2000 + 3000 + 100 });
    for (const gone of [...ownOld1, sigLayer]) expect(await status(repo, 'blobs', gone.digest)).toBe(404);
    for (const kept of [shared, ownOld2, old1.config]) expect(await status(repo, 'blobs', kept.digest)).toBe(200);
    await expectPulls(repo, 'new-1', [fresh.config, shared, ownNew]);
    expect(await status(repo, 'manifests', 'bundle')).toBe(200);
    await expectPulls(repo, old2.digest, [shared, ownOld2]);
  });

  it('keeps the untagged manifests, and so their blobs, when the policy says keepUntaggedManifests', async () => {
    const repo = 'alice/keep';
    const own = randomBlob(800);
    clock -= 30 * DAY_MS;
    const old = await pushImageAs(base, alice, repo, 'old-1', [own]);
    clock += 30 * DAY_MS;
    await policyOf(repo, { rules: [{ tagPattern: 'old-*', olderThanDays: 10 }], keepUntaggedManifests: true });
    const real = await pruneNow(repo);
    expect(real).toMatchObject({ tags: [{ tag: 'old-1' }], manifests: [] });
    clock += 2 * 3_600_000;
    expect(await runGc()).toMatchObject({ removed: 0 });
    await expectPulls(repo, old.digest, [own]);
  });
});
