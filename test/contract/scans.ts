/**
 * The `ScanStore` contract (main/metadata/scans.ts) as one suite every backend runs:
 * `describeScanStore('LMDB', factory)`. It uses the interface only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanOutcome, ScanStore } from '../../main/metadata/scans.js';
import type { ImageScan } from '../../main/scans/types.js';

export interface ScanStoreFixture {
  store: ScanStore;
  /** A second store over the same data, as another process or replica would open it. */
  reopen(): Promise<ScanStore>;
  cleanup(): Promise<void>;
}

const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const LAYERS = [{ digest: digest(900), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }];
const T0 = Date.parse('2026-01-01T00:00:00Z');

function doneWith(generation: string | null): ScanOutcome {
  const result: NonNullable<ImageScan['result']> = {
    inventory: { packages: [], skipped: [], layers: [LAYERS[0]!.digest] },
    vulnerabilities: [],
    counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
    dbGeneration: generation,
    scannedAt: new Date(T0).toISOString(),
  };
  return { state: 'done', result };
}

export function describeScanStore(name: string, factory: () => Promise<ScanStoreFixture>): void {
  describe(`ScanStore on ${name}`, () => {
    let fixture: ScanStoreFixture;
    let store: ScanStore;
    const enqueue = (n: number, at = T0 + n, reason: ImageScan['reason'] = 'push') =>
      store.enqueue({ manifestDigest: digest(n), reason, layers: LAYERS, at });

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('queues a scan once: queued, then pending while it is queued or scanning', async () => {
      expect(await store.get(digest(1))).toBeUndefined();
      expect(await enqueue(1)).toBe('queued');
      expect(await enqueue(1, T0 + 50, 'request')).toBe('pending');
      expect(await store.get(digest(1))).toEqual({
        manifestDigest: digest(1),
        state: 'queued',
        reason: 'push',
        queuedAt: new Date(T0 + 1).toISOString(),
      });
      await store.claim('w1', T0 + 100);
      expect(await enqueue(1, T0 + 200)).toBe('pending');
      expect(await store.counts()).toEqual({ queued: 0, scanning: 1, done: 0, failed: 0 });
    });

    it('hands out the oldest queued scan first, each to one claimer, with its layers', async () => {
      await enqueue(3, T0 + 30);
      await enqueue(1, T0 + 10);
      await enqueue(2, T0 + 20);
      const first = await store.claim('w1', T0 + 100);
      expect(first?.scan).toMatchObject({ manifestDigest: digest(1), state: 'scanning' });
      expect(first?.scan.startedAt).toBe(new Date(T0 + 100).toISOString());
      expect(first?.layers).toEqual(LAYERS);
      const claims = await Promise.all([store.claim('w2', T0 + 101), (await fixture.reopen()).claim('w3', T0 + 101)]);
      expect(claims.map((c) => c?.scan.manifestDigest).sort()).toEqual([digest(2), digest(3)]);
      expect(await store.claim('w1', T0 + 102)).toBeUndefined();
      expect((await store.listActive(10)).map((s) => s.state)).toEqual(['scanning', 'scanning', 'scanning']);
    });

    it("completes only its worker's scan, keeping the result through a failed rescan", async () => {
      await enqueue(1);
      await store.claim('w1', T0 + 5);
      expect(await store.complete(digest(1), 'other', doneWith('g1'), T0 + 6)).toBe(false);
      expect(await store.complete(digest(1), 'w1', doneWith('g1'), T0 + 7)).toBe(true);
      expect(await store.complete(digest(1), 'w1', doneWith('g1'), T0 + 8)).toBe(false);
      const done = await store.get(digest(1));
      expect(done).toMatchObject({ state: 'done', finishedAt: new Date(T0 + 7).toISOString() });
      expect(done?.result?.dbGeneration).toBe('g1');

      expect(await enqueue(1, T0 + 9, 'request')).toBe('queued');
      expect(await store.get(digest(1))).toMatchObject({ state: 'queued', reason: 'request', result: done?.result });
      await store.claim('w2', T0 + 10);
      expect(await store.complete(digest(1), 'w2', { state: 'failed', error: 'layer unreadable' }, T0 + 11)).toBe(true);
      const failed = await (await fixture.reopen()).get(digest(1));
      expect(failed).toMatchObject({ state: 'failed', error: 'layer unreadable', result: done?.result });
      expect(await store.counts()).toEqual({ queued: 0, scanning: 0, done: 0, failed: 1 });
    });

    it('puts back in the queue the scans of a worker not heard of since the cutoff', async () => {
      await enqueue(1);
      await enqueue(2);
      await store.claim('gone', T0 + 10);
      await store.claim('alive', T0 + 10);
      await store.touch('alive', [digest(2)], T0 + 500);
      expect(await store.requeueAbandoned(T0 + 100)).toBe(1);
      expect(await store.get(digest(1))).toMatchObject({ state: 'queued' });
      expect(await store.get(digest(2))).toMatchObject({ state: 'scanning' });
      // The worker presumed dead cannot complete what is no longer its own.
      expect(await store.complete(digest(1), 'gone', doneWith(null), T0 + 600)).toBe(false);
      const again = await store.claim('new', T0 + 700);
      expect(again?.scan.manifestDigest).toBe(digest(1));
    });

    it('queues for rematch, page by page, the results of another database generation', async () => {
      for (const n of [1, 2, 3, 4, 5]) {
        await enqueue(n);
        await store.claim('w', T0 + 10);
        await store.complete(digest(n), 'w', doneWith(n === 3 ? 'g2' : 'g1'), T0 + 20);
      }
      await enqueue(6);
      let total = 0;
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.queueRematch('g2', T0 + 1000, { ...(after !== undefined && { after }), limit: 2 });
        total += page.queued;
        after = page.last;
        pages++;
      } while (after !== undefined && pages < 10);
      expect(total).toBe(3 + 1);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(await store.get(digest(3))).toMatchObject({ state: 'done' });
      const requeued = await store.get(digest(1));
      expect(requeued).toMatchObject({ state: 'queued', reason: 'vulndb' });
      expect(requeued?.result?.dbGeneration).toBe('g1');
      expect(await store.counts()).toEqual({ queued: 5, scanning: 0, done: 1, failed: 0 });
      expect((await store.queueRematch('g2', T0 + 2000, { limit: 100 })).queued).toBe(0);
    });

    it("keeps a repository's own scan-on-push choice until cleared", async () => {
      expect(await store.getRepositoryScanOnPush('acme/app')).toBeUndefined();
      await store.setRepositoryScanOnPush('acme/app', false);
      expect(await (await fixture.reopen()).getRepositoryScanOnPush('acme/app')).toBe(false);
      await store.setRepositoryScanOnPush('acme/app', true);
      expect(await store.getRepositoryScanOnPush('acme/app')).toBe(true);
      await store.setRepositoryScanOnPush('acme/app', undefined);
      expect(await store.getRepositoryScanOnPush('acme/app')).toBeUndefined();
    });
  });
}
