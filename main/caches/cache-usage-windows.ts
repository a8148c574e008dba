/**
 * @module The admin dashboard's figures, from a node's usage samples and redirect samples
 * (cache-usage-samples.ts): what happened over the last hour and the last day, and 24 hourly
 * points for the chart. Pure: no I/O, `now` given.
 *
 * Samples hold cumulative counters, in series: the edge's usage samples are one series, and each
 * replica of main that redirected pulls to the node has its own series of redirects. What happened
 * between two samples of a series is the difference; a counter lower than in the sample before
 * means the edge (or the replica) restarted, and it counted from 0 since. A series' first sample
 * counts from 0 too (a node or a replica seen for the first time has just started; an edge that ran
 * before main kept samples shows that earlier traffic in its first minute). The node's figures are
 * the sums over its series. The difference counts at the later sample's time, so a gap in the
 * samples (main or the heartbeats down) puts what happened during it in the hour the samples
 * resume. Callers pass samples from before the day (the store keeps 25 hours) so the day has its start.
 */
import type { CacheRedirectSample, CacheUsageSample } from '../metadata/caches.js';

const HOUR_MS = 3_600_000;
export const CHART_HOURS = 24;

/** The counters a window sums: the edge's, then main's. */
const EDGE_COUNTERS = ['hits', 'misses', 'servedBytes', 'upstreamBytes', 'evictions'] as const;
const COUNTERS = [...EDGE_COUNTERS, 'redirects'] as const;
type Counter = (typeof COUNTERS)[number];

export type UsageTotals = Record<Counter, number>;

export interface UsageWindow extends UsageTotals {
  /** hits / (hits + misses), 0..1; absent when there was no blob request. */
  hitRatio?: number;
}

/** One hour of the chart: what the samples in `(start, start + 1 h]` added. */
export interface UsagePoint extends UsageWindow {
  start: number;
}

export interface CacheUsage {
  lastHour: UsageWindow;
  lastDay: UsageWindow;
  /** The last 24 hours, oldest first, each hour ending at `now - (23 - i) h`. */
  hourly: UsagePoint[];
  /** The store as the last sample saw it (summed for a group); absent without samples. */
  store?: { blobs: number; bytes: number; maxBytes: number };
}

const zero = (): UsageTotals => ({ hits: 0, misses: 0, servedBytes: 0, upstreamBytes: 0, evictions: 0, redirects: 0 });

function withRatio(totals: UsageTotals): UsageWindow {
  const requests = totals.hits + totals.misses;
  return requests > 0 ? { ...totals, hitRatio: totals.hits / requests } : { ...totals };
}

function add(into: UsageTotals, from: UsageTotals): void {
  for (const name of COUNTERS) into[name] += from[name];
}

type Increment = { at: number; delta: UsageTotals };

/** What happened up to each sample of one series since the one before (oldest first). */
function increments<S extends { at: number } & Partial<UsageTotals>>(
  series: readonly S[],
  counters: readonly Counter[],
): Increment[] {
  const sorted = [...series].sort((a, b) => a.at - b.at);
  return sorted.map((sample, i) => {
    const before = sorted[i - 1];
    const delta = zero();
    for (const name of counters) {
      const [was, is] = [before?.[name] ?? 0, sample[name] ?? 0];
      // Lower than before: the counter restarted from 0.
      delta[name] = is >= was ? is - was : is;
    }
    return { at: sample.at, delta };
  });
}

/** The increments of each replica's redirect series. */
function redirectIncrements(redirects: readonly CacheRedirectSample[]): Increment[] {
  const byReplica = new Map<string, CacheRedirectSample[]>();
  for (const sample of redirects) {
    const series = byReplica.get(sample.replica) ?? [];
    series.push(sample);
    byReplica.set(sample.replica, series);
  }
  return [...byReplica.values()].flatMap((series) => increments(series, ['redirects']));
}

/** One node's windows at `now` from its usage samples and its redirect samples; samples after `now` are ignored. */
export function nodeUsage(
  samples: readonly CacheUsageSample[],
  now: number,
  redirects: readonly CacheRedirectSample[] = [],
): CacheUsage {
  const hour = zero();
  const day = zero();
  const hourly = Array.from({ length: CHART_HOURS }, zero);
  for (const { at, delta } of [...increments(samples, EDGE_COUNTERS), ...redirectIncrements(redirects)]) {
    if (at > now || at <= now - CHART_HOURS * HOUR_MS) continue;
    add(day, delta);
    if (at > now - HOUR_MS) add(hour, delta);
    // The hour that ends at or after `at`: (now - 1 h, now] is the last one.
    const ago = Math.floor((now - at) / HOUR_MS);
    add(hourly[CHART_HOURS - 1 - ago]!, delta);
  }
  const last = [...samples]
    .filter((s) => s.at <= now)
    .sort((a, b) => a.at - b.at)
    .at(-1);
  return {
    lastHour: withRatio(hour),
    lastDay: withRatio(day),
    hourly: hourly.map((totals, i) => ({ start: now - (CHART_HOURS - i) * HOUR_MS, ...withRatio(totals) })),
    ...(last && { store: { blobs: last.blobs, bytes: last.storeBytes, maxBytes: last.maxBytes } }),
  };
}

/** A group's windows: the sum over its nodes (`now` names the hours when there are none). */
export function groupUsage(nodes: readonly CacheUsage[], now: number): CacheUsage {
  const sum = (pick: (usage: CacheUsage) => UsageTotals) => {
    const totals = zero();
    for (const node of nodes) add(totals, pick(node));
    return withRatio(totals);
  };
  const stores = nodes.flatMap((n) => (n.store ? [n.store] : []));
  return {
    lastHour: sum((n) => n.lastHour),
    lastDay: sum((n) => n.lastDay),
    hourly: Array.from({ length: CHART_HOURS }, (_, i) => ({
      start: now - (CHART_HOURS - i) * HOUR_MS,
      ...sum((n) => n.hourly[i]!),
    })),
    ...(stores.length > 0 && {
      store: {
        blobs: stores.reduce((s, x) => s + x.blobs, 0),
        bytes: stores.reduce((s, x) => s + x.bytes, 0),
        maxBytes: stores.reduce((s, x) => s + x.maxBytes, 0),
      },
    }),
  };
}
