/**
 * The metrics' names and labels as operators read them (issue 14, "Metrics"): Node's process
 * metrics and `outpost_build_info` on both services; blob results apart from HTTP requests; route
 * labels as readable templates, refusals included; counters with known labels at 0 before
 * anything happened; the edge's capacity; refused redirect tokens counted by reason. And the
 * Grafana dashboard (load/grafana/outpost.json) asks only for metrics main or the edge exposes.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVersion } from '../../src/config/version.js';
import { edgeBlobUrl, readMetric, startTestEdge, type TestEdge } from '../helpers/edge.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { startTestMain, type TestMain } from '../helpers/servers.js';

const REPO = 'team/app';
const GiB = 1024 ** 3;

let main: TestMain;
let edge: TestEdge;
beforeAll(async () => {
  main = await startTestMain({ auth: true });
  edge = await startTestEdge({ name: 'eu', upstream: main.url, issuer: main.url, flags: { maxBytes: '2GiB' } });
});
afterAll(async () => {
  await edge?.stop();
  await main?.stop();
});

const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();

describe('GET /metrics on main and on the edge', () => {
  it.each([
    ['main', () => main.url],
    ['edge', () => edge.url],
  ])('%s exposes outpost_build_info and Node process metrics under their standard names', async (role, url) => {
    const text = await metricsOf(url());
    const info = `outpost_build_info{version="${readVersion()}",node_version="${process.version}",role="${role}"}`;
    expect(readVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await readMetric(url(), info)).toBe(1);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'])
      expect(text).toContain(`# TYPE ${name} `);
  });
});

describe('GET /metrics on a fresh edge', () => {
  it('has every known result, eviction reason, fetch outcome and refusal reason at 0 before any request', async () => {
    const text = await metricsOf(edge.url);
    const zero = [
      ...['hit', 'miss', 'coalesced', 'denied', 'error'].map((r) => `outpost_edge_blob_requests_total{result="${r}"}`),
      ...['space', 'ttl', 'purge'].map((r) => `outpost_edge_evictions_total{reason="${r}"}`),
      ...['ok', 'error'].map((o) => `outpost_edge_upstream_fetches_total{outcome="${o}"}`),
      'outpost_edge_redirect_token_refusals_total{reason="OUTPOST_TOKEN_EXPIRED"}',
      'outpost_edge_redirect_token_refusals_total{reason="OUTPOST_TOKEN_MISSING"}',
    ];
    for (const series of zero) expect(text).toContain(`\n${series} 0\n`);
  });

  it('names blob results and HTTP requests apart: no outpost_edge_requests_total any more', async () => {
    const text = await metricsOf(edge.url);
    expect(text).toContain('# TYPE outpost_edge_blob_requests_total counter');
    expect(text).toContain('# TYPE outpost_edge_http_requests_total counter');
    expect(text).not.toMatch(/^outpost_edge_requests_total/m);
  });

  it('reports the store capacity it was given (maxBytes)', async () => {
    expect(await readMetric(edge.url, 'outpost_edge_store_capacity_bytes')).toBe(2 * GiB);
  });

  it('counts refused redirect tokens by reason, and labels the refusal with its route template', async () => {
    const digest = randomBlob(10).digest;
    const series = (reason: string) => `outpost_edge_redirect_token_refusals_total{reason="${reason}"}`;
    const route = 'outpost_edge_http_requests_total{method="GET",route="/v2/{name}/blobs/{digest}",code="401"}';
    const before = await Promise.all(
      [series('OUTPOST_TOKEN_MALFORMED'), series('OUTPOST_TOKEN_MISSING'), route].map((s) => readMetric(edge.url, s)),
    );
    expect((await fetch(edgeBlobUrl(edge.url, REPO, digest, 'nonsense'))).status).toBe(401);
    expect((await fetch(`${edge.url}/v2/${REPO}/blobs/${digest}`)).status).toBe(401);
    const after = await Promise.all(
      [series('OUTPOST_TOKEN_MALFORMED'), series('OUTPOST_TOKEN_MISSING'), route].map((s) => readMetric(edge.url, s)),
    );
    expect(after.map((v, i) => v - before[i]!)).toEqual([1, 1, 2]);
  });
});

describe('GET /metrics on main', () => {
  it('has client direct-serving reasons and cache fetch kinds at 0, as two families', async () => {
    const text = await metricsOf(main.url);
    for (const series of [
      'outpost_main_blob_direct_total{reason="no-preference"}',
      'outpost_main_blob_direct_total{reason="cache-down"}',
      'outpost_main_cache_fetches_total{kind="miss"}',
      'outpost_main_cache_fetches_total{kind="warm"}',
    ])
      expect(text).toContain(`\n${series} 0\n`);
    expect(text).not.toContain('reason="redirect-token"');
  });

  it('has a redirect series at 0 for each registered cache, before any pull went there', async () => {
    await main.service.caches.caches.create({ name: 'eu', host: edge.url });
    expect(await metricsOf(main.url)).toContain('\noutpost_main_redirects_total{cache="eu"} 0\n');
  });

  it('keeps the route of a request refused before its route ran (401 from the access gate)', async () => {
    const series = 'outpost_main_http_requests_total{method="GET",route="/v2/{name}/manifests/{reference}",code="401"}';
    const before = await readMetric(main.url, series);
    expect((await fetch(`${main.url}/v2/${REPO}/manifests/latest`)).status).toBe(401);
    expect(await readMetric(main.url, series)).toBe(before + 1);
    expect(await metricsOf(main.url)).not.toContain('route="/v2/*"');
  });
});

describe('the Grafana dashboard load/grafana/outpost.json', () => {
  it('uses only metric names that main or the edge exposes', async () => {
    const dashboard = JSON.parse(
      await readFile(new URL('../../load/grafana/outpost.json', import.meta.url), 'utf8'),
    ) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exposed = `${await metricsOf(main.url)}\n${await metricsOf(edge.url)}`;
    const families = new Set([...exposed.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
    const histograms = new Set([...exposed.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]!));
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      const names = panel.targets.flatMap((t) =>
        [...t.expr.matchAll(/\b(?:outpost|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]),
      );
      expect(names.length, panel.title).toBeGreaterThan(0);
      for (const name of names) {
        // A histogram's series are its family's name with _bucket, _sum or _count.
        const family = name.replace(/_(bucket|sum|count)$/, '');
        used.add(histograms.has(family) ? family : name);
      }
    }
    expect([...used].filter((name) => !families.has(name))).toEqual([]);
    // The panels the issue names: hit ratio, bytes, latency, redirects by cache, errors.
    for (const name of [
      'outpost_edge_blob_requests_total',
      'outpost_edge_served_bytes_total',
      'outpost_edge_blob_request_duration_seconds',
      'outpost_main_redirects_total',
      'outpost_main_http_requests_total',
    ])
      expect(used).toContain(name);
  });
});
