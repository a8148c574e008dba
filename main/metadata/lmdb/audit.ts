/**
 * @module `AuditStore` on LMDB: the sub-database `audit`, keyed by event id (time-sortable, so
 * the key order is the time order), a msgpack `AuditEvent` each. Reads walk the keys newest
 * first and filter as they go; the retention bounds how far a walk can go.
 */
import { writeAtomically, type RootDatabase } from '../../../src/store/lmdb.js';
import { matchesAuditQuery, type AuditEvent, type AuditStore } from '../audit.js';

export function createLmdbAuditStore(root: RootDatabase): AuditStore {
  const events = root.openDB<AuditEvent, string>({ name: 'audit', encoding: 'msgpack' });
  return {
    append: (batch) =>
      writeAtomically(root, () => {
        for (const event of batch) events.put(event.id, event);
      }),
    async list(query) {
      const found: AuditEvent[] = [];
      const range = query.before === undefined ? { reverse: true } : { start: query.before, reverse: true };
      for (const { key, value } of events.getRange(range)) {
        if (key === query.before) continue;
        if (query.since !== undefined && value.at < query.since) break;
        if (!matchesAuditQuery(value, query)) continue;
        if (found.length === query.limit) return { events: found, next: found.at(-1)!.id };
        found.push(value);
      }
      return { events: found };
    },
    prune: (retention, now) =>
      writeAtomically(root, () => {
        const cutoff = now - retention.maxAgeMs;
        let excess = events.getKeysCount() - retention.maxEvents;
        let removed = 0;
        for (const { key, value } of events.getRange()) {
          if (excess <= 0 && value.at >= cutoff) break;
          events.remove(key);
          excess--;
          removed++;
        }
        return removed;
      }),
  };
}
