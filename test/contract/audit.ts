/**
 * The `AuditStore` contract (main/metadata/audit.ts) as one suite every backend runs:
 * `describeAuditStore('LMDB', factory)`. It uses the interface only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent, AuditStore } from '../../main/metadata/audit.js';
import { auditEventId } from '../../main/audit/audit-log.js';

export interface AuditStoreFixture {
  store: AuditStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** Event `i`, `i` minutes after T0, alternating two types and three actors. */
function event(i: number): AuditEvent {
  return {
    id: auditEventId(T0 + i * MINUTE),
    at: T0 + i * MINUTE,
    type: i % 2 === 0 ? 'auth.sign-in' : 'admin.users',
    actor: ['ann', 'bob', 'cy'][i % 3]!,
    target: `target-${i}`,
    outcome: i % 4 === 0 ? 'failure' : 'success',
    detail: { address: '127.0.0.1', status: 200 + i, flag: i % 2 === 0 },
  };
}

export function describeAuditStore(name: string, factory: () => Promise<AuditStoreFixture>): void {
  describe(`AuditStore on ${name}`, () => {
    let fixture: AuditStoreFixture;
    let all: AuditEvent[];

    beforeEach(async () => {
      fixture = await factory();
      all = Array.from({ length: 12 }, (_, i) => event(i));
      await fixture.store.append(all.slice(0, 5));
      await fixture.store.append(all.slice(5));
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('lists events newest first, with every field as appended', async () => {
      const { events, next } = await fixture.store.list({ limit: 100 });
      expect(events).toEqual([...all].reverse());
      expect(next).toBeUndefined();
    });

    it('pages with `next`: each page continues where the last one ended, without overlap', async () => {
      const first = await fixture.store.list({ limit: 5 });
      expect(first.events.map((e) => e.target)).toEqual([11, 10, 9, 8, 7].map((i) => `target-${i}`));
      const second = await fixture.store.list({ limit: 5, before: first.next! });
      expect(second.events.map((e) => e.target)).toEqual([6, 5, 4, 3, 2].map((i) => `target-${i}`));
      const last = await fixture.store.list({ limit: 5, before: second.next! });
      expect(last.events.map((e) => e.target)).toEqual(['target-1', 'target-0']);
      expect(last.next).toBeUndefined();
    });

    it('filters by type, actor and time, together', async () => {
      const byType = await fixture.store.list({ limit: 100, type: 'admin.users' });
      expect(byType.events.map((e) => e.target)).toEqual([11, 9, 7, 5, 3, 1].map((i) => `target-${i}`));
      const byActor = await fixture.store.list({ limit: 100, actor: 'bob' });
      expect(byActor.events.map((e) => e.target)).toEqual([10, 7, 4, 1].map((i) => `target-${i}`));
      const since = await fixture.store.list({ limit: 100, since: T0 + 8 * MINUTE, type: 'auth.sign-in' });
      expect(since.events.map((e) => e.target)).toEqual(['target-10', 'target-8']);
      expect((await fixture.store.list({ limit: 100, actor: 'nobody' })).events).toEqual([]);
    });

    it('prunes beyond the retention count, oldest first', async () => {
      expect(await fixture.store.prune({ maxEvents: 4, maxAgeMs: 365 * 24 * 60 * MINUTE }, T0 + 12 * MINUTE)).toBe(8);
      const { events } = await fixture.store.list({ limit: 100 });
      expect(events.map((e) => e.target)).toEqual([11, 10, 9, 8].map((i) => `target-${i}`));
    });

    it('prunes events older than the retention age', async () => {
      expect(await fixture.store.prune({ maxEvents: 1000, maxAgeMs: 3 * MINUTE }, T0 + 12 * MINUTE)).toBe(9);
      const { events } = await fixture.store.list({ limit: 100 });
      expect(events.map((e) => e.target)).toEqual(['target-11', 'target-10', 'target-9']);
      expect(await fixture.store.prune({ maxEvents: 1000, maxAgeMs: 3 * MINUTE }, T0 + 12 * MINUTE)).toBe(0);
    });
  });
}
