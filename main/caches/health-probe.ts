/**
 * @module Main's view of each cache node's health: probes `<node host>/health` on an interval;
 * a node is marked down after `failuresToDown` failures in a row (one, `activeFailuresToDown`,
 * while it receives redirects, unless the probe only timed out) and up again after `successesToUp` successes. A node never
 * probed yet counts as up, so a new node is used at once. A cache (group) is up while one of
 * its nodes is.
 *
 * Nodes that receive redirects (`noteRedirect`) are probed every `fastIntervalMs` (about a
 * second) besides the round, and `suspect` probes a cache's nodes at once when something
 * reports trouble (an edge's upstream fetch failing): a dead node stops receiving pulls about a
 * second after it died instead of after three rounds.
 *
 * An edge main cannot reach (outbound-only networks) reports its own health (`heartbeat`): a
 * node whose probes never succeeded counts as up while its heartbeats are fresh and healthy.
 * Once a probe reached a node, the probes decide, so a node that dies with a fresh heartbeat
 * still goes down at its first failed probe. A fresh heartbeat reporting unhealthy is down.
 *
 * With `shared` (replicas on one database), one replica probes for the cluster each round (a
 * lease) and records what it saw; the others read that record instead of probing. Each replica
 * still probes the nodes it redirects to every second itself, and keeps what is newer.
 *
 * With `heartbeats` (the store), a heartbeat is written when received (one write per node per
 * beat, every 5 s) and every replica reads them all at each round, never per redirect: the
 * balancer sends a node's heartbeats to any replica, and all judge the node from the same
 * reception times, so a node whose heartbeats stop is dropped by all when the last goes stale.
 */
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../../src/log/logger.js';
import { readResponseText } from '../../src/http/read-response.js';
import type { ContentCache } from './content-caches.js';
import type { CacheHealthRecord, CacheHeartbeatRecord, CacheStore } from '../metadata/caches.js';
import { nodeKey, nodesOf, type CacheNode } from './cache-nodes.js';
import { parseEdgeStats, type EdgeStats } from './edge-stats.js';

export interface CacheHealth {
  up: boolean;
  checkedAt?: number;
  lastError?: string;
  /** Since when it is up or down as it is now (this replica's view: at most since it first saw the node). */
  since?: number;
}

export interface NodeHealth extends CacheHealth {
  /** What the edge last said of itself (probe body or heartbeat). */
  stats?: EdgeStats;
  /** When the edge last reported its health itself. */
  heartbeatAt?: number;
}

export interface HealthProbeOptions {
  /** The caches to probe, read at each round (from the store: a node added is probed at the next one). */
  caches: () => ContentCache[] | Promise<ContentCache[]>;
  dispatcher: Dispatcher;
  logger: Logger;
  intervalMs: number;
  timeoutMs: number;
  failuresToDown?: number;
  /** Failures in a row that take down a node receiving redirects. Default 1. */
  activeFailuresToDown?: number;
  successesToUp?: number;
  /** How often nodes receiving redirects are probed. Default 1 s; 0 turns it off. */
  fastIntervalMs?: number;
  /** How long after its last redirect a node counts as receiving redirects. Default 10 s. */
  activeWindowMs?: number;
  /** A heartbeat older than this is ignored. Default 15 s. */
  heartbeatStaleMs?: number;
  now?: () => number;
  /** Called when a node changes state (metrics, logs). */
  onChange?: (cache: string, up: boolean, node: string) => void;
  /** One prober for the cluster: `lease()` says whether this replica probes this round. */
  shared?: { store: Pick<CacheStore, 'recordHealth' | 'listHealth'>; lease: () => Promise<boolean> };
  /** Where heartbeats are shared between replicas: written as received, read at each round. */
  heartbeats?: Pick<CacheStore, 'recordHeartbeat' | 'listHeartbeats'>;
}

interface State extends CacheHealth {
  failures: number;
  successes: number;
  /** A probe succeeded once: probes decide from then on, whatever heartbeats say. */
  reached?: boolean;
  /** The URL this state was probed at: a node that moved (a new edge under the same id) starts afresh. */
  host?: string;
  stats?: EdgeStats;
}

// An edge's health body is a few hundred bytes.
const MAX_HEALTH_BYTES = 64 * 1024;

export class HealthProbe {
  private readonly states = new Map<string, State>();
  /** Node ids of each cache, as of the last round (or the last shared record). */
  private readonly groups = new Map<string, string[]>();
  private readonly active = new Map<string, { node: CacheNode; until: number }>();
  private readonly heartbeats = new Map<string, { at: number; ok: boolean }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** When each node last went up or down, or was first seen (the dashboard's "since when"). */
  private readonly since = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private fastTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: HealthProbeOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether one node of the cache is up (a cache never probed counts as up). */
  isUp(name: string): boolean {
    const ids = this.groups.get(name);
    return !ids || ids.length === 0 || ids.some((id) => this.isNodeUp(nodeKey(name, id)));
  }

  /**
   * Whether the node under `key` (nodeKey) may receive redirects; given its current `host`, what
   * was probed at another URL (before the node moved) does not count.
   */
  isNodeUp(key: string, host?: string): boolean {
    const state = this.stateAt(key, host);
    const beat = this.heartbeats.get(key);
    const fresh = beat !== undefined && this.now() - beat.at <= (this.options.heartbeatStaleMs ?? 15_000);
    if (fresh && !beat.ok) return false;
    if (!state || state.up) return true;
    return fresh && !state.reached;
  }

  private stateAt(key: string, host: string | undefined): State | undefined {
    const state = this.states.get(key);
    return host !== undefined && state?.host !== undefined && state.host !== host ? undefined : state;
  }

  /** The cache as a whole: its first node that is up, else its first node (one node: that node). */
  health(name: string): CacheHealth {
    const ids = this.groups.get(name) ?? [];
    const key = ids.map((id) => nodeKey(name, id)).find((k) => this.isNodeUp(k)) ?? nodeKey(name, ids[0] ?? '');
    const { stats: _stats, heartbeatAt: _at, ...health } = this.nodeHealth(key);
    return ids.length === 0 ? { up: true } : health;
  }

  nodeHealth(key: string, host?: string): NodeHealth {
    const state = this.stateAt(key, host);
    const beat = this.heartbeats.get(key);
    return {
      up: this.isNodeUp(key, host),
      ...(state?.checkedAt !== undefined && { checkedAt: state.checkedAt }),
      ...(state?.lastError !== undefined && { lastError: state.lastError }),
      ...(state?.stats && { stats: state.stats }),
      ...(beat && { heartbeatAt: beat.at }),
      ...(this.since.has(key) && { since: this.since.get(key) }),
    };
  }

  /** A redirect was sent to `node`: probe it about every second while this goes on. */
  noteRedirect(node: CacheNode): void {
    const until = this.now() + (this.options.activeWindowMs ?? 10_000);
    const entry = this.active.get(node.key);
    if (entry?.node.host === node.host) entry.until = until;
    else this.active.set(node.key, { node, until });
  }

  /**
   * Something suggests trouble with a cache (or its node at `host`), such as an edge below it
   * failing to fetch from it: probe its nodes now.
   */
  suspect(cache: ContentCache, host?: string): Promise<void> {
    const nodes = nodesOf(cache).filter((n) => host === undefined || n.host === host);
    // Watched as closely as a node receiving redirects: down at one failure, probed every second.
    for (const node of nodes) this.noteRedirect(node);
    return Promise.all(nodes.map((n) => this.probeOnce(n))).then(() => undefined);
  }

  /**
   * The edge of a node reported its own health (its join registration's heartbeat): used here at
   * once, and written for the other replicas (rejects when that write fails).
   */
  async heartbeat(key: string, ok: boolean, stats?: EdgeStats): Promise<void> {
    const at = this.now();
    this.takeHeartbeat(key, { at, ok, ...(stats && { stats }) });
    await this.options.heartbeats?.recordHeartbeat(key, { at, ok, ...(stats && { stats }) });
  }

  private takeHeartbeat(key: string, beat: CacheHeartbeatRecord): void {
    const wasUp = this.isNodeUp(key);
    this.heartbeats.set(key, { at: beat.at, ok: beat.ok });
    if (beat.stats) {
      const state = this.states.get(key) ?? { up: true, failures: 0, successes: 0 };
      this.states.set(key, { ...state, stats: beat.stats });
    }
    this.changed(key, wasUp, beat.ok ? undefined : 'the edge reports itself unhealthy');
  }

  /** Takes the heartbeats other replicas received since this one last looked. */
  private async loadHeartbeats(): Promise<void> {
    const store = this.options.heartbeats;
    if (!store) return;
    const beats = await store.listHeartbeats().catch((err: unknown) => {
      // The probes go on: what this replica received itself still counts.
      this.options.logger.warn('content cache heartbeats could not be read', { error: err });
      return new Map<string, CacheHeartbeatRecord>();
    });
    for (const [key, beat] of beats) if ((this.heartbeats.get(key)?.at ?? -1) < beat.at) this.takeHeartbeat(key, beat);
  }

  start(): void {
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.intervalMs);
    this.timer.unref();
    const fast = this.options.fastIntervalMs ?? 1_000;
    if (fast > 0) {
      this.fastTimer = setInterval(() => void this.probeActive(), fast);
      this.fastTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.fastTimer);
    await this.running;
    await Promise.all(this.inFlight.values());
  }

  /** Probes every node once (concurrent callers share the round). */
  probeAll(): Promise<void> {
    this.running ??= this.round().then(
      () => {
        this.running = undefined;
      },
      (err: unknown) => {
        // Only the list or the shared record can fail (a probe records its own failure): the next round retries.
        this.options.logger.warn('content cache health probe could not read or record its state', { error: err });
        this.running = undefined;
      },
    );
    return this.running;
  }

  /** Probes the nodes that received redirects lately; forgets the others. */
  probeActive(): Promise<void> {
    const now = this.now();
    const probes: Promise<void>[] = [];
    for (const [key, { node, until }] of this.active) {
      if (until < now) this.active.delete(key);
      else probes.push(this.probeOnce(node));
    }
    return Promise.all(probes).then(() => undefined);
  }

  private async round(): Promise<void> {
    await this.loadHeartbeats();
    const { shared } = this.options;
    if (shared && !(await shared.lease().catch(() => false))) return this.load(shared.store);
    const caches = await this.options.caches();
    this.groups.clear();
    const nodes = caches.flatMap((cache) => {
      const list = nodesOf(cache);
      this.groups.set(
        cache.name,
        list.map((n) => n.id),
      );
      return list;
    });
    await Promise.all(nodes.map((n) => this.probeOnce(n)));
    if (!shared) return;
    const seen = new Map<string, CacheHealthRecord>();
    for (const { key } of nodes) {
      const state = this.states.get(key);
      if (state?.checkedAt === undefined) continue;
      seen.set(key, {
        up: state.up,
        checkedAt: state.checkedAt,
        ...(state.lastError !== undefined && { lastError: state.lastError }),
        failures: state.failures,
        successes: state.successes,
        ...(state.reached && { reached: true as const }),
      });
    }
    await shared.store.recordHealth(seen);
  }

  /** Takes the prober's record as this replica's view, unless this replica probed a node since. */
  private async load(store: Pick<CacheStore, 'listHealth'>): Promise<void> {
    const records = await store.listHealth();
    this.groups.clear();
    for (const [key, record] of records) {
      const [cache = '', id = ''] = key.split('/');
      this.groups.set(cache, [...(this.groups.get(cache) ?? []), id]);
      const state = this.states.get(key);
      if (state?.checkedAt !== undefined && state.checkedAt >= record.checkedAt) continue;
      const wasUp = this.isNodeUp(key);
      this.states.set(key, {
        ...record,
        // Not `record.up`: a node never probed yet counts as up without main having reached it.
        reached: state?.reached || record.reached === true,
        ...(state?.stats && { stats: state.stats }),
      });
      this.changed(key, wasUp, record.lastError);
    }
  }

  /** One probe of a node at a time: a caller arriving during one shares it. */
  private probeOnce(node: CacheNode): Promise<void> {
    let probing = this.inFlight.get(node.key);
    if (!probing) {
      probing = this.probe(node).finally(() => this.inFlight.delete(node.key));
      this.inFlight.set(node.key, probing);
    }
    return probing;
  }

  private async probe(node: CacheNode): Promise<void> {
    let error: string | undefined;
    let slow = false;
    let stats: EdgeStats | undefined;
    try {
      const res = await request(`${node.host}/health`, {
        dispatcher: this.options.dispatcher,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const body = await readResponseText(res.body, MAX_HEALTH_BYTES, 'the health answer').catch(() => '');
      if (res.statusCode !== 200) error = `health answered ${res.statusCode}`;
      stats = parseEdgeStats(body);
    } catch (err) {
      error = (err as Error).message || 'unreachable';
      slow = isTimeout(err);
    }
    this.record(node, error, this.now(), stats, slow);
  }

  private record(
    node: CacheNode,
    error: string | undefined,
    at: number,
    stats: EdgeStats | undefined,
    slow = false,
  ): void {
    const wasUp = this.isNodeUp(node.key);
    const state: State = this.stateAt(node.key, node.host) ?? { up: true, failures: 0, successes: 0 };
    state.host = node.host;
    if (error === undefined) {
      state.successes++;
      state.failures = 0;
      state.reached = true;
      delete state.lastError;
    } else {
      state.failures++;
      state.successes = 0;
      state.lastError = error;
    }
    if (stats) state.stats = stats;
    state.checkedAt = at;
    const receiving = (this.active.get(node.key)?.until ?? 0) >= at;
    // One failure takes down a node receiving redirects only when it is an answer (refused,
    // reset, unhealthy): a probe that timed out may have queued behind the node's own downloads
    // on a saturated WAN link (main -> region), and one such probe must not send a whole
    // region's pulls back across that link. Timeouts need `failuresToDown` in a row.
    const quickDown = receiving && !slow;
    const toDown = quickDown ? (this.options.activeFailuresToDown ?? 1) : (this.options.failuresToDown ?? 3);
    if (state.up && state.failures >= toDown) state.up = false;
    if (!state.up && state.successes >= (this.options.successesToUp ?? 2)) state.up = true;
    this.states.set(node.key, state);
    this.changed(node.key, wasUp, error);
  }

  private changed(key: string, wasUp: boolean, reason: string | undefined): void {
    const up = this.isNodeUp(key);
    if (wasUp !== up || !this.since.has(key)) this.since.set(key, this.now());
    if (wasUp === up) return;
    const [cache = '', node = ''] = key.split('/');
    // A node going down needs a look; one coming back is the recovery, news but nothing to do (info).
    const log = up ? this.options.logger.info : this.options.logger.warn;
    log.call(this.options.logger, up ? 'content cache node is up again' : 'content cache node is down', {
      cache,
      node,
      ...(reason && { reason }),
    });
    this.options.onChange?.(cache, up, node);
  }
}

/** A probe that ran out of time (connect, headers, body or the overall limit), not one refused or answered. */
function isTimeout(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | undefined;
  return (
    e?.name === 'TimeoutError' ||
    e?.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e?.code === 'UND_ERR_BODY_TIMEOUT'
  );
}
