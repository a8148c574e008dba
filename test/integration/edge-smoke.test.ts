import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob } from '../helpers/oci-fixtures.js';

let main: TestMain;
let edge: TestEdge;
beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url });
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

async function push(repo: string, bytes: Buffer, digest: string) {
  const res = await fetch(`${main.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes });
  expect(res.status).toBe(201);
}

describe('edge GET /v2/<name>/blobs/<digest>', () => {
  it('misses once, then hits, with identical bytes', async () => {
    for (const size of [100, 3 * 1024 * 1024]) {
      const blob = randomBlob(size);
      await push('team/app', blob.bytes, blob.digest);
      const token = await signRedirectToken(main, { repository: 'team/app', digest: blob.digest, audience: ['eu'] });
      const url = `${edge.url}/v2/team/app/blobs/${blob.digest}?token=${token}`;
      const first = await fetch(url);
      expect(first.status).toBe(200);
      expect(Buffer.from(await first.arrayBuffer()).equals(blob.bytes)).toBe(true);
      const second = await fetch(url);
      expect(second.headers.get('docker-content-digest')).toBe(blob.digest);
      expect(Buffer.from(await second.arrayBuffer()).equals(blob.bytes)).toBe(true);
    }
    // A fetch is counted once its blob is committed, after the client had every byte.
    await edge.service.cache.settled();
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    expect(metrics).toMatch(/outpost_edge_blob_requests_total\{result="miss"\} 2/);
    expect(metrics).toMatch(/outpost_edge_blob_requests_total\{result="hit"\} 2/);
    expect(metrics).toMatch(/outpost_edge_upstream_fetches_total\{outcome="ok"\} 2/);
  });

  it('coalesces concurrent requests for one cold blob into one upstream fetch', async () => {
    const blob = randomBlob(8 * 1024 * 1024);
    await push('team/herd', blob.bytes, blob.digest);
    const token = await signRedirectToken(main, { repository: 'team/herd', digest: blob.digest, audience: ['eu'] });
    const before = await (await fetch(`${edge.url}/metrics`)).text();
    const fetchesBefore = Number(/outpost_edge_upstream_fetches_total\{outcome="ok"\} (\d+)/.exec(before)?.[1] ?? 0);
    const bodies = await Promise.all(
      Array.from({ length: 20 }, async () =>
        Buffer.from(await (await fetch(`${edge.url}/v2/team/herd/blobs/${blob.digest}?token=${token}`)).arrayBuffer()),
      ),
    );
    for (const body of bodies) expect(body.equals(blob.bytes)).toBe(true);
    await edge.service.cache.settled();
    const after = await (await fetch(`${edge.url}/metrics`)).text();
    expect(Number(/outpost_edge_upstream_fetches_total\{outcome="ok"\} (\d+)/.exec(after)?.[1])).toBe(
      fetchesBefore + 1,
    );
  });

  it('refuses a token for another blob with 403 DENIED', async () => {
    const blob = randomBlob(10);
    await push('team/app', blob.bytes, blob.digest);
    const token = await signRedirectToken(main, {
      repository: 'team/app',
      digest: randomBlob(10).digest,
      audience: ['eu'],
    });
    const res = await fetch(`${edge.url}/v2/team/app/blobs/${blob.digest}?token=${token}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errors: [{ code: 'DENIED' }] });
  });
});
