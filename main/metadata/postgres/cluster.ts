/**
 * @module Replicas coordinating through PostgreSQL: heartbeats and leases in two small tables,
 * invalidations over LISTEN/NOTIFY. Every time comparison uses the database's clock (`now()`),
 * so a replica whose clock drifts cannot steal a lease that has not expired.
 */
import { ALL_TOPICS, type ClusterCoordinator, type ReplicaView } from '../cluster.js';
import type { Listener, PostgresDatabase, Queryable } from './database.js';

const CHANNEL = 'outpost_invalidate';
// pg_notify's payload limit is 8000 bytes; topics are short names of ours.
const MAX_TOPIC_LENGTH = 200;
// Replicas gone for this long are removed from the table by whoever lists them.
const FORGET_AFTER = '1 day';

interface ReplicaRow {
  id: string;
  url: string;
  version: string;
  started_at: Date;
  last_seen_at: Date;
  up: boolean;
}

/** See `ClusterCoordinator.acquireLease`; also taken by `outpost main migrate`, which runs no coordinator. */
export async function acquireLease(db: Queryable, name: string, holder: string, ttlMs: number): Promise<boolean> {
  // One statement: insert when free, take over when expired, renew when ours; otherwise no row.
  const rows = await db.query(
    `INSERT INTO outpost_leases AS l (name, holder, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3 / 1000.0))
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
     RETURNING holder`,
    [name, holder, ttlMs],
  );
  return rows.length === 1;
}

export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query('DELETE FROM outpost_leases WHERE name = $1 AND holder = $2', [name, holder]);
}

export async function createPostgresCoordinator(
  db: PostgresDatabase,
  onListenError: (error: Error) => void = () => {},
): Promise<ClusterCoordinator> {
  const subscribers = new Set<(topic: string) => void>();
  const deliver = (topic: string) => {
    for (const subscriber of subscribers) subscriber(topic);
  };
  const listener: Listener = await db.listen(CHANNEL, {
    onMessage: deliver,
    onGap: () => deliver(ALL_TOPICS),
    onError: onListenError,
  });
  return {
    async heartbeat(replica) {
      await db.query(
        `INSERT INTO outpost_replicas (id, url, version, started_at, last_seen_at)
         VALUES ($1, $2, $3, to_timestamp($4 / 1000.0), now())
         ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, last_seen_at = now()`,
        [replica.id, replica.url, replica.version, replica.startedAt],
      );
    },
    async leave(replicaId) {
      await db.query('DELETE FROM outpost_replicas WHERE id = $1', [replicaId]);
    },
    async replicas(downAfterMs) {
      await db.query(`DELETE FROM outpost_replicas WHERE last_seen_at < now() - interval '${FORGET_AFTER}'`);
      const rows = await db.query<ReplicaRow>(
        `SELECT id, url, version, started_at, last_seen_at,
                last_seen_at > now() - make_interval(secs => $1 / 1000.0) AS up
           FROM outpost_replicas ORDER BY started_at DESC, id`,
        [downAfterMs],
      );
      return rows.map(
        (row): ReplicaView => ({
          id: row.id,
          url: row.url,
          version: row.version,
          startedAt: row.started_at.getTime(),
          lastSeenAt: row.last_seen_at.getTime(),
          up: row.up,
        }),
      );
    },
    acquireLease: (name, holder, ttlMs) => acquireLease(db, name, holder, ttlMs),
    releaseLease: (name, holder) => releaseLease(db, name, holder),
    async publish(topic) {
      if (topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) throw new Error('invalid invalidation topic');
      await db.notify(CHANNEL, topic);
    },
    subscribe(onTopic) {
      subscribers.add(onTopic);
      return () => subscribers.delete(onTopic);
    },
    async close() {
      subscribers.clear();
      await listener.close();
    },
  };
}
