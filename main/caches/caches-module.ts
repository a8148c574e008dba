/**
 * @module Builds the content-cache side of main: the cache list, the health probe, the
 * redirect decision and its metrics, from main's database and keys.
 */
import { Agent } from 'undici';
import { Counter, Gauge, type Registry as MetricsRegistry } from 'prom-client';
import { initLabels } from '../../src/metrics/http-metrics.js';
import type { KeyRing } from '../../src/auth/keys.js';
import type { Logger } from '../../src/log/logger.js';
import type { Accounts } from '../accounts/accounts.js';
import type { CacheStore } from '../metadata/caches.js';
import { createContentCaches, type ContentCaches } from './content-caches.js';
import { HealthProbe } from './health-probe.js';
import { createRedirects, type Redirects } from './redirects.js';
import { rememberRedirectInputs } from './redirect-inputs.js';
import { createJoinTokens, type JoinTokens } from './join-tokens.js';
import { createCacheJoin, type CacheJoin } from './join-cache.js';
import { createEdgeReports, type EdgeReports } from './edge-reports.js';
import { createEdgeAuth } from './edge-auth.js';
import { nodesOf } from './cache-nodes.js';
import { createUsageReader, createUsageRecorder, type UsageReader } from './cache-usage-samples.js';
import { RedirectTally, startRedirectSampler } from './redirect-samples.js';

export interface CacheMetrics {
  redirects: Counter<'cache'>;
  /** Client pulls main served itself, and why no cache took them. */
  direct: Counter<'reason'>;
  /** Blob GETs by content caches: a miss fetched with the client's redirect token, or warming. */
  cacheFetches: Counter<'kind'>;
}

/** Why main served a client's blob GET itself: no cache is preferred, or the preferred ones are down. */
export const DIRECT_REASONS = ['no-preference', 'cache-down'] as const;
/** How a content cache fetched a blob from main (DESIGN 3.3): `miss` with a redirect token, `warm` with its own. */
export const CACHE_FETCH_KINDS = ['miss', 'warm'] as const;

export interface CachesModule {
  caches: ContentCaches;
  probe: HealthProbe;
  redirects: Redirects;
  metrics: CacheMetrics;
  /** Tokens edges register themselves with (also created offline by `outpost main cache token create`). */
  joinTokens: JoinTokens;
  /** An edge registering itself with a join token. */
  join: CacheJoin;
  /** Heartbeats and trouble reports from edges (authenticated with a join token). */
  reports: EdgeReports;
  /** A cache's traffic over the last hour and day, from its nodes' samples (the admin dashboard). */
  usage: UsageReader;
  stop(): Promise<void>;
}

export interface CachesModuleDeps {
  store: CacheStore;
  accounts: Accounts;
  keys: KeyRing;
  issuer: string;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  redirectTokenLifetimeMs: number;
  /** How often nodes receiving redirects are probed (0: only the rounds). */
  activeProbeIntervalMs?: number;
  hotBlobRequestsPerSecond?: number;
  hotBlobSpread?: number;
  metricsRegistry: MetricsRegistry;
  logger: Logger;
  now: () => number;
  /** The cluster's invalidation topics: the redirect decision's copies of the caches and preferences follow them. */
  subscribe: (onTopic: (topic: string) => void) => () => void;
  /** Replicas on one database: whether this one probes the caches this round (a lease), the others read its record. */
  probeLease?: () => Promise<boolean>;
  /** This replica's id: the series its redirect counts are written as. */
  replicaId: string;
  /** How often this replica writes its redirect counts (default a minute). */
  redirectSampleIntervalMs?: number;
}

export function createCachesModule(deps: CachesModuleDeps): CachesModule {
  const caches = createContentCaches(deps.store, deps.now);
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: deps.probeTimeoutMs } });
  const registers = [deps.metricsRegistry];
  const probe = new HealthProbe({
    caches: () => caches.list(),
    dispatcher,
    logger: deps.logger,
    intervalMs: deps.probeIntervalMs,
    timeoutMs: deps.probeTimeoutMs,
    ...(deps.activeProbeIntervalMs !== undefined && { fastIntervalMs: deps.activeProbeIntervalMs }),
    now: deps.now,
    ...(deps.probeLease && { shared: { store: deps.store, lease: deps.probeLease } }),
    heartbeats: deps.store,
  });
  new Gauge({
    name: 'outpost_main_cache_up',
    help: 'Whether main sees each content cache as up (1) or down (0)',
    labelNames: ['cache'],
    registers,
    async collect() {
      const list = await caches.list();
      this.reset();
      for (const cache of list) this.set({ cache: cache.name }, probe.isUp(cache.name) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'outpost_main_cache_node_up',
    help: 'Whether main sends pulls to each node of each content cache (1) or skips it (0)',
    labelNames: ['cache', 'node'],
    registers,
    async collect() {
      const list = await caches.list();
      this.reset();
      for (const node of list.flatMap(nodesOf))
        this.set({ cache: node.cache, node: node.id }, probe.isNodeUp(node.key, node.host) ? 1 : 0);
    },
  });
  const metrics: CacheMetrics = {
    redirects: new Counter({
      name: 'outpost_main_redirects_total',
      help: 'Blob GETs redirected to a content cache',
      labelNames: ['cache'],
      registers,
      // Every known cache has its series from the first scrape on, at 0 until a pull goes there.
      async collect() {
        for (const cache of await caches.list()) this.inc({ cache: cache.name }, 0);
      },
    }),
    direct: new Counter({
      name: 'outpost_main_blob_direct_total',
      help: 'Blob GETs by clients that main served itself rather than redirect, by reason (no-preference, cache-down)',
      labelNames: ['reason'],
      registers,
    }),
    cacheFetches: new Counter({
      name: 'outpost_main_cache_fetches_total',
      help: 'Blob GETs by content caches (not client downloads): miss (redirect token) or warm (X-Outpost-Cache)',
      labelNames: ['kind'],
      registers,
    }),
  };
  initLabels(metrics.direct, 'reason', DIRECT_REASONS);
  initLabels(metrics.cacheFetches, 'kind', CACHE_FETCH_KINDS);
  const inputs = rememberRedirectInputs({
    listCaches: () => caches.list(),
    preferences: async (user) => {
      const { user: userCache, organizations } = await deps.accounts.cachePreferences(user);
      const orgCaches = organizations.map((org) => org.cache).filter((name): name is string => Boolean(name));
      return { ...(userCache && { userCache }), orgCaches };
    },
    subscribe: deps.subscribe,
    now: deps.now,
  });
  const tally = new RedirectTally();
  const redirects = createRedirects({
    caches: { list: inputs.listCaches },
    probe,
    preferences: inputs.preferences,
    keys: deps.keys,
    issuer: deps.issuer,
    lifetimeMs: deps.redirectTokenLifetimeMs,
    now: deps.now,
    ...(deps.hotBlobRequestsPerSecond !== undefined && { hotBlobRequestsPerSecond: deps.hotBlobRequestsPerSecond }),
    ...(deps.hotBlobSpread !== undefined && { hotBlobSpread: deps.hotBlobSpread }),
    onRedirect: (key) => tally.note(key),
  });
  const joinTokens = createJoinTokens(deps.store, deps.now);
  const authenticate = createEdgeAuth(caches, joinTokens);
  const join = createCacheJoin({ caches, authenticate, mainUrl: deps.issuer, logger: deps.logger });
  const recordUsage = createUsageRecorder({ store: deps.store, now: deps.now });
  const redirectSampler = startRedirectSampler({
    store: deps.store,
    tally,
    replica: deps.replicaId,
    now: deps.now,
    logger: deps.logger,
    ...(deps.redirectSampleIntervalMs !== undefined && { intervalMs: deps.redirectSampleIntervalMs }),
  });
  const reports = createEdgeReports({ caches, authenticate, probe, recordUsage });
  probe.start();
  return {
    caches,
    probe,
    redirects,
    metrics,
    joinTokens,
    join,
    reports,
    usage: createUsageReader({ store: deps.store, now: deps.now }),
    async stop() {
      inputs.stop();
      await probe.stop();
      await redirectSampler.stop();
      await dispatcher.close();
    },
  };
}
