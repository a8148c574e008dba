/**
 * @module What edges tell main about health, authenticated as their join registration is (a join
 * token or the node's credential, checked first, so a caller without one learns nothing else):
 *
 * - a heartbeat (`POST /api/v0/content_caches/heartbeat`): the node's own health and stats,
 *   which keeps a node main cannot reach (outbound-only networks) in use (health-probe.ts);
 * - trouble (`POST /api/v0/content_caches/trouble`): the edge's upstream cache failed a fetch,
 *   so main probes that cache's node at once instead of at the next round.
 */
import { AccountError } from '../accounts/errors.js';
import { nodeKey, nodesOf } from './cache-nodes.js';
import { parseHost, parseNodeId, type ContentCaches } from './content-caches.js';
import { edgeStatsOf } from './edge-stats.js';
import type { HealthProbe } from './health-probe.js';
import type { AuthenticateEdge } from './edge-auth.js';
import type { UsageRecorder } from './cache-usage-samples.js';

export interface HeartbeatRequest {
  token?: unknown;
  name?: unknown;
  nodeId?: unknown;
  /** Whether the edge can serve (its /health status is not `unavailable`). */
  ok?: unknown;
  /** The edge's health details (`store`, `requests`, `traffic`), as its /health answers them. */
  details?: unknown;
}

export interface TroubleRequest {
  token?: unknown;
  /** The reporting node (needed with a node credential; edges that predate credentials send neither). */
  name?: unknown;
  nodeId?: unknown;
  /** The URL of the upstream cache node whose fetch failed. */
  upstream?: unknown;
}

export interface EdgeReportsDeps {
  caches: ContentCaches;
  authenticate: AuthenticateEdge;
  probe: Pick<HealthProbe, 'heartbeat' | 'suspect'>;
  /** Keeps the heartbeat's counters for the admin dashboard (cache-usage-samples.ts). */
  recordUsage?: UsageRecorder;
}

export function createEdgeReports(deps: EdgeReportsDeps) {
  return {
    async heartbeat(request: HeartbeatRequest): Promise<void> {
      await deps.authenticate(request);
      const id = parseNodeId(request.nodeId);
      const cache = typeof request.name === 'string' ? await deps.caches.get(request.name) : undefined;
      if (!cache || !nodesOf(cache).some((n) => n.id === id))
        throw new AccountError(
          'NOT_FOUND',
          `no node "${id}" in content cache "${String(request.name).slice(0, 100)}": join first`,
        );
      const stats = edgeStatsOf(request.details, true);
      await deps.probe.heartbeat(nodeKey(cache.name, id), request.ok === true, stats);
      await deps.recordUsage?.(nodeKey(cache.name, id), stats);
    },

    async trouble(request: TroubleRequest): Promise<void> {
      await deps.authenticate(request);
      const url = parseHost(request.upstream);
      const cache = (await deps.caches.list()).find((c) => nodesOf(c).some((n) => n.host === url));
      if (!cache) return;
      // Not awaited: the edge is told at once, the probe's verdict reaches the next redirects.
      void deps.probe.suspect(cache, url);
    },
  };
}

export type EdgeReports = ReturnType<typeof createEdgeReports>;
