/**
 * @module The embedded installation's coordinator: one process is the whole cluster, so it is
 * the only replica, holds every lease, and hears its own topics.
 */
import type { ClusterCoordinator, ReplicaInfo, ReplicaView } from '../cluster.js';

export function createSingleProcessCoordinator(now: () => number = Date.now): ClusterCoordinator {
  let self: ReplicaView | undefined;
  const subscribers = new Set<(topic: string) => void>();
  return {
    async heartbeat(replica: ReplicaInfo) {
      self = { ...replica, lastSeenAt: now(), up: true };
    },
    async leave(replicaId) {
      if (self?.id === replicaId) self = undefined;
    },
    async replicas() {
      return self ? [{ ...self }] : [];
    },
    async acquireLease() {
      return true;
    },
    async releaseLease() {},
    async publish(topic) {
      for (const subscriber of subscribers) subscriber(topic);
    },
    subscribe(onTopic) {
      subscribers.add(onTopic);
      return () => subscribers.delete(onTopic);
    },
    async close() {
      subscribers.clear();
    },
  };
}
