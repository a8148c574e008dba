/**
 * One route table (issue 9, habits): every `/v2` route declares the access it needs as its
 * first step, the gate refuses any request that reaches no declaration, and the access each
 * endpoint asks the policy for is the one distribution asks for. Through `app.request()` on
 * main's real app, with the services stubbed (the policy refuses, so no handler runs).
 */
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createMainApp, type MainAppDeps } from '../../../main/app.js';
import { accessGate, declaresAccess, requires } from '../../../main/middleware/access.js';
import type { AccessPolicy, RequiredAccess } from '../../../main/middleware/access.js';
import { openAccessPolicy } from '../../../main/auth/open-policy.js';
import { createErrorHandler } from '../../../src/http/error-handler.js';
import { OciError } from '../../../src/oci/errors.js';
import { silentLogger } from '../../../src/log/logger.js';

/** Answers every property and call with another stub (never a thenable): enough to build the app. */
function stub(): never {
  const target = () => undefined;
  return new Proxy(target, { get: (_t, key) => (key === 'then' ? undefined : stub()), apply: () => stub() }) as never;
}

function mainApp(accessPolicy: AccessPolicy): Hono {
  const deps: MainAppDeps = {
    registry: stub(),
    pullPolicy: stub(),
    logger: silentLogger,
    metrics: stub(),
    health: stub(),
    accessPolicy,
    auth: stub(),
    sessions: stub(),
    management: stub(),
    web: new Proxy(
      { publicUrl: 'http://127.0.0.1' },
      {
        get: (t, key) => (key in t ? t[key as 'publicUrl'] : stub()),
      },
    ) as never,
    caches: stub(),
    deleteEnabled: true,
    maxManifestBytes: 1024,
    trustedProxies: [],
  };
  return createMainApp(deps);
}

/** A policy that records what it was asked and refuses, so that no handler runs. */
function recordingPolicy(): { policy: AccessPolicy; asked: RequiredAccess[] } {
  const asked: RequiredAccess[] = [];
  const policy: AccessPolicy = async (_request, access) => {
    asked.push(access);
    throw new OciError('DENIED');
  };
  return { policy, asked };
}

const DIGEST = `sha256:${'a'.repeat(64)}`;
const UUID = '00000000-0000-4000-8000-000000000000';

describe('/v2 routes declare their access', () => {
  it('gives every /v2 route (method and path) an access step before its handler', () => {
    const routes = mainApp(openAccessPolicy).routes.filter((r) => r.path.startsWith('/v2') && r.method !== 'ALL');
    const byRoute = new Map<string, typeof routes>();
    for (const r of routes) byRoute.set(`${r.method} ${r.path}`, [...(byRoute.get(`${r.method} ${r.path}`) ?? []), r]);
    expect(byRoute.size).toBeGreaterThanOrEqual(14);
    for (const [route, handlers] of byRoute) {
      expect(declaresAccess(handlers[0]!.handler), `${route} starts with requires…()`).toBe(true);
      expect(handlers.length, `${route} has a handler after its access step`).toBeGreaterThanOrEqual(2);
    }
  });

  it.each<[string, string, RequiredAccess]>([
    ['GET', '/v2/', { kind: 'base' }],
    ['GET', '/v2/_catalog', { kind: 'catalog' }],
    ['GET', '/v2/a/b/tags/list', { kind: 'repository', name: 'a/b', actions: ['pull'] }],
    ['GET', `/v2/a/b/referrers/${DIGEST}`, { kind: 'repository', name: 'a/b', actions: ['pull'] }],
    ['GET', `/v2/a/b/blobs/${DIGEST}`, { kind: 'repository', name: 'a/b', actions: ['pull'], blob: DIGEST }],
    ['HEAD', `/v2/a/b/blobs/${DIGEST}`, { kind: 'repository', name: 'a/b', actions: ['pull'], blob: DIGEST }],
    ['DELETE', `/v2/a/b/blobs/${DIGEST}`, { kind: 'repository', name: 'a/b', actions: ['delete'] }],
    ['POST', '/v2/a/b/blobs/uploads/', { kind: 'repository', name: 'a/b', actions: ['pull', 'push'] }],
    ['GET', `/v2/a/b/blobs/uploads/${UUID}`, { kind: 'repository', name: 'a/b', actions: ['push'] }],
    ['PATCH', `/v2/a/b/blobs/uploads/${UUID}`, { kind: 'repository', name: 'a/b', actions: ['pull', 'push'] }],
    ['PUT', `/v2/a/b/blobs/uploads/${UUID}`, { kind: 'repository', name: 'a/b', actions: ['pull', 'push'] }],
    ['DELETE', `/v2/a/b/blobs/uploads/${UUID}`, { kind: 'repository', name: 'a/b', actions: ['pull', 'push'] }],
    ['GET', '/v2/a/b/manifests/v1', { kind: 'repository', name: 'a/b', actions: ['pull'] }],
    ['HEAD', '/v2/a/b/manifests/v1', { kind: 'repository', name: 'a/b', actions: ['pull'] }],
    ['PUT', '/v2/a/b/manifests/v1', { kind: 'repository', name: 'a/b', actions: ['pull', 'push'] }],
    ['DELETE', '/v2/a/b/manifests/v1', { kind: 'repository', name: 'a/b', actions: ['delete'] }],
    // The name the route uses, however the path nests route words.
    ['GET', `/v2/a/blobs/uploads/${UUID}`, { kind: 'repository', name: 'a', actions: ['push'] }],
    ['GET', '/v2/x/manifests/y/tags/list', { kind: 'repository', name: 'x/manifests/y', actions: ['pull'] }],
  ])('%s %s asks the policy for exactly its access', async (method, path, expected) => {
    const { policy, asked } = recordingPolicy();
    const res = await mainApp(policy).request(path, { method });
    expect(res.status).toBe(403);
    expect(asked).toEqual([expected]);
  });

  it('answers 404 without asking the policy for a /v2 path no route declares', async () => {
    const { policy, asked } = recordingPolicy();
    for (const path of ['/v2/a/b/unknown', '/v2/a/b/tags', '/v2/_catalog/x']) {
      const res = await mainApp(policy).request(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED' }] });
    }
    expect(asked).toEqual([]);
  });

  it('checks a malformed name (400 NAME_INVALID) before asking the policy', async () => {
    const { policy, asked } = recordingPolicy();
    const res = await mainApp(policy).request('/v2/Upper/Case/tags/list');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ code: 'NAME_INVALID' }] });
    expect(asked).toEqual([]);
  });
});

describe('accessGate', () => {
  function gatedApp(): Hono {
    const app = new Hono();
    app.onError(createErrorHandler(silentLogger));
    app.use(
      '*',
      accessGate(openAccessPolicy, () => '127.0.0.1'),
    );
    app.get('/:name{.+}/declared', requires('pull'), (c) => c.text(c.var.auth.principal.kind));
    app.get('/:name{.+}/undeclared', (c) => c.text('leaked'));
    return app;
  }

  it('fails closed: a route without an access step answers 404 and its handler never runs', async () => {
    const res = await gatedApp().request('/a/undeclared');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('leaked');
  });

  it("lets a declared route through with the caller's rights", async () => {
    const res = await gatedApp().request('/a/declared');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('user');
  });

  it('refuses an access step that runs without the gate (no policy to ask)', async () => {
    const app = new Hono();
    app.onError(createErrorHandler(silentLogger));
    app.get('/:name{.+}/declared', requires('pull'), (c) => c.text('leaked'));
    const res = await app.request('/a/declared');
    expect(res.status).toBe(403);
  });
});
