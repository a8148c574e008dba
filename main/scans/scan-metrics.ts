/**
 * @module The scan queue's gauge on main's metrics registry: `outpost_main_scans{state}`, the
 * stored scans in each state (queued, scanning, done, failed), read from the scans owner when
 * scraped (one count per state; no digest ever becomes a label).
 */
import { Gauge, type Registry } from 'prom-client';
import type { ScanStore } from '../metadata/scans.js';

const STATES = ['queued', 'scanning', 'done', 'failed'] as const;

export function registerScanMetrics(registry: Registry, store: Pick<ScanStore, 'counts'>): void {
  new Gauge({
    name: 'outpost_main_scans',
    help: 'Image scans stored, by state (queued and scanning are the queue)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await store.counts();
      for (const state of STATES) this.set({ state }, counts[state]);
    },
  });
}
