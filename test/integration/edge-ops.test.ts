/**
 * What operators poll on an edge (issue 4, "Operating it"): `/health` with upstream
 * reachability, key freshness and disk usage (503 only when the store is unusable), and
 * `/metrics` with the edge's series, labelled by route template and result, never by digest.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { edgeBlobUrl, readMetric, signRedirectToken, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { pushBlob } from '../helpers/registry-http.js';
import { createTempDir } from '../helpers/temp-dir.js';

const REPO = 'team/app';

let main: TestMain;
let edge: TestEdge;
let blob: Blob;
beforeAll(async () => {
  main = await startTestMain();
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, flags: { maxBytes: '1GiB' } });
  blob = randomBlob(3 * 1024 * 1024);
  await pushBlob(main.url, REPO, blob);
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

const url = async (b: Blob) =>
  edgeBlobUrl(
    edge.url,
    REPO,
    b.digest,
    await signRedirectToken(main, { repository: REPO, digest: b.digest, audience: ['eu'] }),
  );

describe('GET /health on the edge', () => {
  it('answers 200 with the store, disk usage, upstream reachability and key freshness', async () => {
    await (await fetch(await url(blob))).arrayBuffer();
    // The client has every byte before the blob is committed: count it once it is.
    await edge.service.cache.settled();
    const res = await fetch(`${edge.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // biome-ignore lint/suspicious/noExplicitAny: a JSON body checked field by field
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({
      status: 'ok',
      store: { bytes: blob.size, blobs: 1, maxBytes: 1024 ** 3 },
      upstream: { url: main.url, reachable: true },
      keys: { source: 'url', keys: 1 },
    });
    expect(body.disk.totalBytes).toBeGreaterThan(0);
    expect(body.disk.freeBytes).toBeGreaterThan(0);
    expect(body.keys.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(body.keys.fetchedAt).toBeLessThanOrEqual(Date.now());
    expect(body.keys.lastError).toBeUndefined();
  });

  it('answers 503 when the store is unusable (its data directory is gone)', async () => {
    const doomed = await createTempDir('outpost-edge-doomed-');
    const broken = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, dataDir: doomed.path });
    try {
      await rm(doomed.path, { recursive: true, force: true });
      const res = await fetch(`${broken.url}/health`);
      expect(res.status).toBe(503);
      // biome-ignore lint/suspicious/noExplicitAny: a JSON body checked field by field
      const body = (await res.json()) as Record<string, any>;
      expect(body.status).toBe('unavailable');
      expect(body.store).toMatch(/^error: ENOENT/);
      expect(body.upstream.reachable).toBe(true);
    } finally {
      await broken.stop();
    }
  });
});

describe('GET /metrics on the edge', () => {
  it('exposes every series the issue names, as Prometheus text', async () => {
    const res = await fetch(`${edge.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const [name, type] of [
      ['outpost_edge_blob_requests_total', 'counter'],
      ['outpost_edge_upstream_fetches_total', 'counter'],
      ['outpost_edge_upstream_bytes_total', 'counter'],
      ['outpost_edge_served_bytes_total', 'counter'],
      ['outpost_edge_store_bytes', 'gauge'],
      ['outpost_edge_store_blobs', 'gauge'],
      ['outpost_edge_evictions_total', 'counter'],
      ['outpost_edge_upstream_ttfb_seconds', 'histogram'],
      ['outpost_edge_blob_request_duration_seconds', 'histogram'],
      ['outpost_edge_http_requests_total', 'counter'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
  });

  it('counts requests by result, and bytes from upstream and to clients', async () => {
    const b = randomBlob(50_000);
    await pushBlob(main.url, REPO, b);
    const series = [
      'outpost_edge_blob_requests_total{result="miss"}',
      'outpost_edge_blob_requests_total{result="hit"}',
      'outpost_edge_blob_requests_total{result="denied"}',
      'outpost_edge_blob_requests_total{result="error"}',
      'outpost_edge_upstream_bytes_total',
      'outpost_edge_served_bytes_total',
      'outpost_edge_upstream_ttfb_seconds_count',
      'outpost_edge_blob_request_duration_seconds_count{result="hit"}',
    ];
    const before = await Promise.all(series.map((s) => readMetric(edge.url, s)));
    const u = await url(b);
    await (await fetch(u)).arrayBuffer();
    await (await fetch(u)).arrayBuffer();
    await (await fetch(u, { headers: { Range: 'bytes=0-9' } })).arrayBuffer();
    await (await fetch(`${edge.url}/v2/${REPO}/blobs/${b.digest}?token=nonsense`)).arrayBuffer();
    const unknown = randomBlob(10);
    await (await fetch(await url(unknown))).arrayBuffer();
    const after = await Promise.all(series.map((s) => readMetric(edge.url, s)));
    const delta = Object.fromEntries(series.map((s, i) => [s, after[i]! - before[i]!]));
    expect(delta).toEqual({
      'outpost_edge_blob_requests_total{result="miss"}': 1,
      'outpost_edge_blob_requests_total{result="hit"}': 2,
      'outpost_edge_blob_requests_total{result="denied"}': 1,
      'outpost_edge_blob_requests_total{result="error"}': 1,
      outpost_edge_upstream_bytes_total: 50_000,
      outpost_edge_served_bytes_total: 100_010,
      outpost_edge_upstream_ttfb_seconds_count: 1,
      'outpost_edge_blob_request_duration_seconds_count{result="hit"}': 2,
    });
  });

  it('reports store size and blob count as gauges that follow the index', async () => {
    // The pulls above are committed after their clients had every byte: compare at rest.
    await edge.service.cache.settled();
    expect(await readMetric(edge.url, 'outpost_edge_store_bytes')).toBe(edge.service.index.bytes);
    expect(await readMetric(edge.url, 'outpost_edge_store_blobs')).toBe(edge.service.index.count);
  });

  it('labels HTTP requests by route template, never by a digest or a token', async () => {
    const text = await (await fetch(`${edge.url}/metrics`)).text();
    expect(text).toContain('route="/v2/{name}/blobs/{digest}"');
    expect(text).not.toContain(blob.digest);
    // No token value (a JWT starts eyJ; an earlier test sent `?token=nonsense`) nor query.
    expect(text).not.toMatch(/\?token|nonsense|eyJ/);
  });
});
