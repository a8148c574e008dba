/**
 * @module What replicas of main share besides data: who is alive, who does the periodic work,
 * and news that a cached copy is stale.
 *
 * - Heartbeats: each replica records itself every few seconds; `cluster_status` lists them, and
 *   a replica not seen for three beats is reported as down.
 * - Leases: periodic work (cache health probes, purges, GC, key rotation) runs on the one
 *   replica holding its lease. A holder renews it well before it expires; when the holder dies,
 *   the lease expires and another replica takes the work over (main/cluster/singleton-work.ts).
 * - Invalidation: a replica that changes something other replicas keep in memory (users'
 *   cache preferences, the cache list, keys, settings) publishes a topic; every replica's
 *   subscribers drop their copy. After a lost connection to the bus, subscribers are told to
 *   drop everything (`topic === '*'`): notifications sent meanwhile are lost.
 *
 * The embedded backend is one process: it is the only replica, always holds every lease, and
 * delivers topics to its own subscribers.
 */

export interface ReplicaInfo {
  /** Random per process start. */
  id: string;
  /** Where this replica listens (its own address, not the load balancer's). */
  url: string;
  version: string;
  startedAt: number;
}

export interface ReplicaView extends ReplicaInfo {
  lastSeenAt: number;
  /** Seen within the liveness window. */
  up: boolean;
}

/** Every subscriber gets this topic when notifications may have been missed. */
export const ALL_TOPICS = '*';

export interface ClusterCoordinator {
  /** Records (or refreshes) this replica's heartbeat. */
  heartbeat(replica: ReplicaInfo): Promise<void>;
  /** Removes this replica from the list (clean stop). */
  leave(replicaId: string): Promise<void>;
  /** Replicas seen recently, newest start first; those silent for longer than `downAfterMs` are marked down. */
  replicas(downAfterMs: number): Promise<ReplicaView[]>;
  /**
   * Takes or renews lease `name` for `holder` for `ttlMs`; true when `holder` holds it now.
   * Times are the coordinator's (the database's clock), so replicas' clocks need not agree.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once, if `holder` holds it, so that another replica need not wait for expiry. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Tells every replica (this one included) that what `topic` names changed. */
  publish(topic: string): Promise<void>;
  /** Calls `onTopic` for each published topic, and with `ALL_TOPICS` after a gap; returns the unsubscribe. */
  subscribe(onTopic: (topic: string) => void): () => void;
  close(): Promise<void>;
}
