import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { createHttpMetrics, routeLabel, type HttpMetrics } from '../../../src/metrics/http-metrics.js';
import { requestMetrics } from '../../../src/http/request-metrics.js';

function setup() {
  const registry = new Registry();
  const metrics = createHttpMetrics(registry, 'test');
  const app = new Hono();
  app.use(requestMetrics(metrics));
  // Blob routes set Content-Length themselves; the middleware reads it from the response.
  app.get('/v2/:name{.+}/blobs/:digest', (c) => c.body('twelve bytes', 200, { 'Content-Length': '12' }));
  app.put('/v2/:name{.+}/uploads/:id', (c) => c.body(null, 201));
  return { app, metrics, registry };
}

async function values(metric: HttpMetrics['requests' | 'bytesIn' | 'bytesOut']) {
  return (await metric.get()).values;
}

describe('createHttpMetrics', () => {
  it('registers the four metrics under the service prefix on the given registry only', async () => {
    const { registry } = setup();
    expect(
      registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .sort(),
    ).toEqual([
      'test_http_request_bytes_total',
      'test_http_request_duration_seconds',
      'test_http_requests_total',
      'test_http_response_bytes_total',
    ]);
  });

  it('lets two services register the same metrics on their own registries', () => {
    expect(() => {
      setup();
      setup();
    }).not.toThrow();
  });
});

describe('requestMetrics', () => {
  it('counts a request by method, route template and status code, never by raw path', async () => {
    const { app, metrics } = setup();
    await app.request(`/v2/library/ubuntu/blobs/sha256:${'a'.repeat(64)}`);
    expect(await values(metrics.requests)).toEqual([
      { labels: { method: 'GET', route: '/v2/{name}/blobs/{digest}', code: '200' }, value: 1 },
    ]);
  });

  it('labels requests no route matched as unmatched', async () => {
    const { app, metrics } = setup();
    await app.request('/nowhere/secret-token-in-path');
    expect(await values(metrics.requests)).toEqual([
      { labels: { method: 'GET', route: 'unmatched', code: '404' }, value: 1 },
    ]);
  });

  it('adds response bytes from Content-Length, but not for HEAD', async () => {
    const { app, metrics } = setup();
    const path = `/v2/a/blobs/sha256:${'b'.repeat(64)}`;
    const res = await app.request(path);
    expect(res.headers.get('content-length')).toBe('12');
    await app.request(path, { method: 'HEAD' });
    expect(await values(metrics.bytesOut)).toEqual([{ labels: { route: '/v2/{name}/blobs/{digest}' }, value: 12 }]);
  });

  it('adds request bytes from the request Content-Length', async () => {
    const { app, metrics } = setup();
    await app.request('/v2/a/uploads/1', { method: 'PUT', body: 'x'.repeat(30), headers: { 'Content-Length': '30' } });
    expect(await values(metrics.bytesIn)).toEqual([{ labels: { route: '/v2/{name}/uploads/{id}' }, value: 30 }]);
  });

  it('observes one duration per request', async () => {
    const { app, metrics } = setup();
    await app.request('/v2/a/uploads/1', { method: 'PUT' });
    const count = (await metrics.duration.get()).values.find(
      (v) => v.metricName === 'test_http_request_duration_seconds_count',
    );
    expect(count).toMatchObject({ labels: { method: 'PUT', route: '/v2/{name}/uploads/{id}' }, value: 1 });
  });
});

describe('routeLabel', () => {
  it.each([
    ['/v2/:name{.+}/blobs/:digest', '/v2/{name}/blobs/{digest}'],
    ['/v2/:name{.+}/blobs/uploads/:id', '/v2/{name}/blobs/uploads/{id}'],
    ['/api/v0/repositories/:namespace/:repo', '/api/v0/repositories/{namespace}/{repo}'],
    ['/v2/', '/v2'],
    ['/', '/'],
  ])('writes %s as %s, without router syntax', (template, label) => {
    expect(routeLabel(template)).toBe(label);
  });
});

describe('requestMetrics in front of a gate that refuses', () => {
  it("labels a refused request with the route it asked for, not the gate's wildcard", async () => {
    const registry = new Registry();
    const metrics = createHttpMetrics(registry, 'test');
    const app = new Hono();
    app.use(requestMetrics(metrics));
    const v2 = new Hono();
    // As main's access gate: a middleware on every /v2 path that answers 401 before the route runs.
    v2.use('*', async (c, next) => (c.req.header('authorization') ? next() : c.body(null, 401)));
    v2.get('/:name{.+}/manifests/:reference', (c) => c.body('{}'));
    app.route('/v2', v2);
    await app.request('/v2/library/ubuntu/manifests/latest');
    expect(await values(metrics.requests)).toEqual([
      { labels: { method: 'GET', route: '/v2/{name}/manifests/{reference}', code: '401' }, value: 1 },
    ]);
  });
});
