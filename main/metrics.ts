/** @module Main's Prometheus metrics, registered on a registry of its own (never the global one). */
import { Gauge, Registry } from 'prom-client';
import { createHttpMetrics, registerProcessMetrics, type HttpMetrics } from '../src/metrics/http-metrics.js';
import { readVersion } from '../src/config/version.js';
import type { RegistryMetadata } from './metadata/registry.js';

export interface MainMetrics {
  registry: Registry;
  http: HttpMetrics;
}

// Summing the blob index walks every entry; once per interval is plenty for a gauge.
const STORE_SCAN_INTERVAL_MS = 30_000;

export function createMainMetrics(
  metadata: Pick<RegistryMetadata, 'blobTotals'>,
  now: () => number = Date.now,
): MainMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry, { version: readVersion(), role: 'main' });
  let scannedAt = -Infinity;
  let totals = { bytes: 0, blobs: 0 };
  const refresh = async () => {
    if (now() - scannedAt < STORE_SCAN_INTERVAL_MS) return totals;
    totals = await metadata.blobTotals();
    scannedAt = now();
    return totals;
  };
  new Gauge({
    name: 'outpost_main_store_bytes',
    help: 'Bytes of blob content stored (each digest counted once)',
    registers: [registry],
    async collect() {
      this.set((await refresh()).bytes);
    },
  });
  new Gauge({
    name: 'outpost_main_store_blobs',
    help: 'Number of distinct blobs stored',
    registers: [registry],
    async collect() {
      this.set((await refresh()).blobs);
    },
  });
  return { registry, http: createHttpMetrics(registry, 'outpost_main') };
}
