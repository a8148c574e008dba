/**
 * @module `/api/v0/content_caches` (DTR's name): the edges users can pull from. Admins manage
 * them; any signed-in user may list them (the profile page's cache picker shows region and
 * health). An edge registers itself with a join token at `POST /content_caches/join`, without
 * signing in (the token is its proof; see caches/join-cache.ts), and reports its health with it
 * (`/heartbeat`, `/trouble`; caches/edge-reports.ts).
 *
 * A cache is a group of edge nodes: each cache's view lists its nodes with what main's probe and
 * the node's own reports say (up, disk use, hit ratio).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAdmin, signedIn } from '../../accounts/account-management.js';
import { chainIn, type ContentCache } from '../../caches/content-caches.js';
import { nodesOf } from '../../caches/cache-nodes.js';
import { hitRatio } from '../../caches/edge-stats.js';
import type { CachesModule } from '../../caches/caches-module.js';
import { jsonBody } from './request-input.js';
import type { CacheUsage } from '../../caches/cache-usage-windows.js';
import type { CacheUsageView } from '../../caches/cache-usage-samples.js';

/** The API's shape of usage: hour starts as ISO dates. */
const usageOf = ({ hourly, ...usage }: CacheUsage) => ({
  ...usage,
  hourly: hourly.map(({ start, ...point }) => ({ start: new Date(start).toISOString(), ...point })),
});
const usageView = ({ nodes, ...group }: CacheUsageView) => ({
  ...usageOf(group),
  nodes: nodes.map(({ id, ...node }) => ({ id, ...usageOf(node) })),
});

const cacheSchema = z.object({
  name: z.string().optional(),
  host: z.string().optional(),
  upstream: z.string().nullable().optional(),
  region: z.string().optional(),
  networks: z.array(z.string()).optional(),
});

// Checked by the join itself: the token first, so a caller without one learns nothing else.
const joinSchema = z.object({
  token: z.unknown().optional(),
  name: z.unknown().optional(),
  host: z.unknown().optional(),
  region: z.unknown().optional(),
  upstream: z.unknown().optional(),
  nodeId: z.unknown().optional(),
});

const heartbeatSchema = z.object({
  token: z.unknown().optional(),
  name: z.unknown().optional(),
  nodeId: z.unknown().optional(),
  ok: z.unknown().optional(),
  details: z.unknown().optional(),
});

const troubleSchema = z.object({
  token: z.unknown().optional(),
  name: z.unknown().optional(),
  nodeId: z.unknown().optional(),
  upstream: z.unknown().optional(),
});

export function contentCacheRoutes({
  caches,
  probe,
  join,
  reports,
  usage,
}: Pick<CachesModule, 'caches' | 'probe' | 'join' | 'reports' | 'usage'>): Hono {
  const app = new Hono();
  const nodesView = (cache: ContentCache) =>
    nodesOf(cache).map((node) => {
      const { stats, heartbeatAt, ...health } = probe.nodeHealth(node.key, node.host);
      const ratio = hitRatio(stats);
      return {
        id: node.id,
        host: node.host,
        joinedAt: new Date(node.joinedAt).toISOString(),
        health: { ...health, ...(heartbeatAt !== undefined && { heartbeatAt }) },
        ...(stats?.storeBytes !== undefined && { storeBytes: stats.storeBytes }),
        ...(stats?.maxBytes !== undefined && { maxBytes: stats.maxBytes }),
        ...(ratio !== undefined && { hitRatio: ratio }),
      };
    });
  // `all`: every cache, from one read, for the chain.
  const view = (cache: ContentCache, all: ContentCache[]) => ({
    name: cache.name,
    host: cache.host,
    upstream: cache.upstream ?? '',
    region: cache.region ?? '',
    networks: cache.networks,
    chain: chainIn(all, cache.name).map((c) => c.name),
    health: probe.health(cache.name),
    nodes: nodesView(cache),
    createdAt: new Date(cache.createdAt).toISOString(),
  });

  app.get('/content_caches', async (c) => {
    signedIn(c.var.principal);
    const all = await caches.list();
    return c.json(all.map((cache) => view(cache, all)));
  });

  app.post('/content_caches', async (c) => {
    requireAdmin(c.var.principal, 'add content caches');
    const created = await caches.create(await jsonBody(c, cacheSchema));
    void probe.probeAll();
    return c.json(view(created, await caches.list()), 201);
  });

  // Join token or the node's credential (checked first). 201 for a new cache, 200 when an existing one moved;
  // 401 for a wrong or expired token. A node joining with a join token gets its `nodeCredential`.
  app.post('/content_caches/join', async (c) => {
    const { cache, created, nodeCredential } = await join(await jsonBody(c, joinSchema));
    void probe.probeAll();
    return c.json(
      { ...view(cache, await caches.list()), ...(nodeCredential && { nodeCredential }) },
      created ? 201 : 200,
    );
  });

  // Join token or the node's credential (checked first): an edge of the group reports its own health; 204.
  app.post('/content_caches/heartbeat', async (c) => {
    await reports.heartbeat(await jsonBody(c, heartbeatSchema));
    return c.body(null, 204);
  });

  // Join token or the node's credential (checked first): an edge's upstream cache failed; main probes it now. 204.
  app.post('/content_caches/trouble', async (c) => {
    await reports.trouble(await jsonBody(c, troubleSchema));
    return c.body(null, 204);
  });

  // Signed in; admins also get `usage` (the dashboard's figures: last hour and day, 24 hourly points, per node).
  app.get('/content_caches/:name', async (c) => {
    const user = signedIn(c.var.principal);
    const cache = await caches.require(c.req.param('name'));
    return c.json({
      ...view(cache, await caches.list()),
      ...(user.isAdmin && { usage: usageView(await usage(cache)) }),
    });
  });

  app.patch('/content_caches/:name', async (c) => {
    requireAdmin(c.var.principal, 'change content caches');
    const { name: _ignored, ...patch } = await jsonBody(c, cacheSchema);
    const updated = await caches.update(c.req.param('name'), patch);
    return c.json(view(updated, await caches.list()));
  });

  // Admin: retires a node of a group for good (a node that is only down needs nothing: it is skipped).
  app.delete('/content_caches/:name/nodes/:node', async (c) => {
    requireAdmin(c.var.principal, 'remove content cache nodes');
    await caches.removeNode(c.req.param('name'), c.req.param('node'));
    return c.body(null, 204);
  });

  app.delete('/content_caches/:name', async (c) => {
    requireAdmin(c.var.principal, 'remove content caches');
    await caches.remove(c.req.param('name'));
    return c.body(null, 204);
  });

  return app;
}
