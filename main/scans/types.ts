/**
 * @module scans/types
 * A scan of one image manifest (one platform): its state in the queue, the software inventory and the
 * vulnerability findings. Scans are kept per manifest digest, so a tag's result is its manifest's, and
 * every tag of the same image shares one scan.
 */
import type { Inventory } from '../scan/types.js';
import type { Finding, SeverityCounts } from '../vulndb/types.js';

export type ScanState = 'queued' | 'scanning' | 'done' | 'failed';

export interface ImageScan {
  /** The image manifest scanned (a platform's manifest, never an index). */
  manifestDigest: string;
  state: ScanState;
  /** Why it was queued: "push", "request" (API, web, CLI), "vulndb" (a new database was imported). */
  reason: 'push' | 'request' | 'vulndb';
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Set when state is "failed": a short message for users, no paths or secrets. */
  error?: string;
  /** Present once a scan has finished; kept while a rescan is queued or running. */
  result?: {
    inventory: Inventory;
    vulnerabilities: Finding[];
    counts: SeverityCounts;
    /** The vulnerability database generation matched against (null: no database yet). */
    dbGeneration: string | null;
    scannedAt: string;
  };
}

/** What the pages, the SBOM export and the pull policy read. */
export interface ScanResults {
  forManifest(manifestDigest: string): Promise<ImageScan | undefined>;
}
