/**
 * @module A node's health judged from what the caches store keeps, for commands that run
 * without main's probe (`outpost main cache list`): the probe's shared record (written by the
 * replica that probes for the cluster; a main of its own keeps its verdicts in memory) and the
 * node's last heartbeat, weighed as the probe weighs them (health-probe.ts `isNodeUp`).
 */
import type { CacheHealthRecord, CacheHeartbeatRecord } from '../metadata/caches.js';

/** A heartbeat older than this is ignored (the probe's default). */
export const HEARTBEAT_STALE_MS = 15_000;

export function storedNodeHealth(
  probe: CacheHealthRecord | undefined,
  heartbeat: CacheHeartbeatRecord | undefined,
  now: number,
): string {
  const fresh = heartbeat !== undefined && now - heartbeat.at <= HEARTBEAT_STALE_MS;
  if (fresh && !heartbeat.ok) return 'down (the edge reports itself unhealthy)';
  if (probe?.up) return 'up';
  if (fresh && !probe?.reached)
    return probe ? 'up (by its heartbeats: main cannot reach it)' : 'up (by its heartbeats)';
  if (probe) return `down (${probe.lastError ?? 'probe failed'})`;
  return 'unknown (no shared probe record, no fresh heartbeat)';
}
