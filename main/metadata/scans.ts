/**
 * @module The scans owner: one `ImageScan` per image manifest digest (main/scans/types.ts), the
 * queue of scans to run (the records in state `queued`, oldest first) and the repositories'
 * own scan-on-push choice. The records ARE the queue: a scan queued before a stop is still
 * queued after the start that follows, and `requeueAbandoned` gives back the scans a crashed
 * worker held. Backends: main/metadata/lmdb/scans.ts and main/metadata/postgres/scans.ts.
 *
 * Every method is one transaction. `claim` hands each queued scan to one worker even when
 * several replicas claim at once (PostgreSQL: `FOR UPDATE SKIP LOCKED`; LMDB: one process, one
 * writer). A worker's `complete` is written only while the scan is still its own, so a worker
 * presumed dead that comes back cannot overwrite the scan another worker took over.
 * Methods reject with the backend's failure (LMDB: `code` EIO/ENOSPC; PostgreSQL: UNAVAILABLE).
 */
import type { ImageScan, ScanState } from '../scans/types.js';

/** A layer of the manifest to scan, as the manifest lists it (kept with the queued scan). */
export interface ScanLayerRef {
  digest: string;
  mediaType: string;
}

export interface ScanRequest {
  manifestDigest: string;
  reason: ImageScan['reason'];
  /** The manifest's layers, bottom first: the worker reads them from the blob store. */
  layers: ScanLayerRef[];
  /** Epoch ms. */
  at: number;
}

/** A scan handed to a worker: the record (state `scanning`) and the layers to read. */
export interface ClaimedScan {
  scan: ImageScan;
  layers: ScanLayerRef[];
}

/** How a worker's scan ended. `result` keeps ImageScan's shape; `error` is a short message for users. */
export type ScanOutcome =
  | { state: 'done'; result: NonNullable<ImageScan['result']> }
  | { state: 'failed'; error: string };

export interface ScanCounts extends Record<ScanState, number> {}

export interface ScanStore {
  /** The scan of a manifest; undefined when it was never queued. */
  get(manifestDigest: string): Promise<ImageScan | undefined>;
  /**
   * Queues a scan of the manifest: creates its record, or puts a `done`/`failed` one back in the
   * queue keeping its previous `result` (the pages show it until the new one lands). 'pending'
   * when it is already queued or scanning (nothing changed: one scan of a manifest at a time).
   */
  enqueue(request: ScanRequest): Promise<'queued' | 'pending'>;
  /**
   * Takes the oldest queued scan for `worker` (state `scanning`, `startedAt` = at); undefined
   * when nothing is queued. Each queued scan is handed to one claimer only.
   */
  claim(worker: string, at: number): Promise<ClaimedScan | undefined>;
  /** Records that `worker` is still running these scans (see requeueAbandoned). */
  touch(worker: string, manifestDigests: readonly string[], at: number): Promise<void>;
  /**
   * Ends a scan `worker` claimed: `done` stores the result, `failed` the error (the previous
   * result stays). false (nothing written) when the scan is no longer scanning for `worker`.
   */
  complete(manifestDigest: string, worker: string, outcome: ScanOutcome, at: number): Promise<boolean>;
  /**
   * Puts back in the queue every `scanning` record whose worker was last heard of before
   * `aliveBefore` (epoch ms): a crash left them. Returns how many.
   */
  requeueAbandoned(aliveBefore: number): Promise<number>;
  /**
   * Queues (reason `vulndb`) up to `limit` scans that have a result matched against another
   * database generation than `generation` and are neither queued nor scanning, in digest order
   * after `after`. Returns how many were queued and the last digest looked at (undefined: done).
   */
  queueRematch(
    generation: string | null,
    at: number,
    options: { after?: string; limit: number },
  ): Promise<{ queued: number; last?: string }>;
  /** How many scans are in each state. */
  counts(): Promise<ScanCounts>;
  /** Queued and scanning scans, scanning first then oldest queued first, at most `limit`. */
  listActive(limit: number): Promise<ImageScan[]>;

  /** A repository's own scan-on-push choice; undefined: it follows the registry-wide setting. */
  getRepositoryScanOnPush(repo: string): Promise<boolean | undefined>;
  /** Sets (or with undefined, clears) a repository's scan-on-push choice. */
  setRepositoryScanOnPush(repo: string, value: boolean | undefined): Promise<void>;
}
