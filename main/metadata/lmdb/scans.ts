/**
 * @module `ScanStore` in LMDB, in main's environment (one process: every claim is made by the
 * one writer, so a claim needs no lock beyond its transaction):
 *
 *	scans              <manifest digest>                        StoredScan (record, layers, worker)
 *	scanStates         <state> SEP <queued at, ms> SEP <digest>  true (the queue: state "queued")
 *	scanRepositories   <repository>                             boolean (its own scan-on-push)
 *
 * `scanStates` holds one key per scan, so the oldest queued scan is the first key of the
 * "queued" range and each state is counted without reading a record. Queue times are 15-digit
 * milliseconds so that keys sort by time.
 */
import { key, prefixRange, writeAtomically, type Database, type RootDatabase } from '../../../src/store/lmdb.js';
import type { ImageScan, ScanState } from '../../scans/types.js';
import type { ClaimedScan, ScanCounts, ScanLayerRef, ScanStore } from '../scans.js';

interface StoredScan {
  scan: ImageScan;
  layers: ScanLayerRef[];
  /** Epoch ms the scan was (last) queued: its place in `scanStates`. */
  queuedMs: number;
  worker?: string;
  aliveAt?: number;
}

const STATES: readonly ScanState[] = ['queued', 'scanning', 'done', 'failed'];
const iso = (ms: number) => new Date(ms).toISOString();
const stateKey = (s: StoredScan) => key(s.scan.state, String(s.queuedMs).padStart(15, '0'), s.scan.manifestDigest);

/** Forgets a deleted repository's scan-on-push choice, inside the transaction that deletes it. */
export function removeRepositoryScanSettings(root: RootDatabase, repository: string): void {
  void root.openDB<boolean, string>({ name: 'scanRepositories', encoding: 'msgpack' }).remove(repository);
}

export function createLmdbScanStore(root: RootDatabase): ScanStore {
  const scans: Database<StoredScan, string> = root.openDB({ name: 'scans', encoding: 'msgpack' });
  const states: Database<true, string> = root.openDB({ name: 'scanStates', encoding: 'msgpack' });
  const repositories: Database<boolean, string> = root.openDB({ name: 'scanRepositories', encoding: 'msgpack' });

  /** Writes a record and moves its state key, inside a write transaction. */
  const write = (before: StoredScan | undefined, after: StoredScan) => {
    if (before !== undefined) void states.remove(stateKey(before));
    void states.put(stateKey(after), true);
    void scans.put(after.scan.manifestDigest, after);
  };
  const digestsIn = (state: ScanState, limit: number): string[] => {
    const out: string[] = [];
    for (const k of states.getKeys({ ...prefixRange([state]), limit })) out.push(k.slice(k.lastIndexOf('\u0005') + 1));
    return out;
  };

  return {
    async get(digest) {
      return scans.get(digest)?.scan;
    },
    enqueue: (request) =>
      writeAtomically(root, () => {
        const before = scans.get(request.manifestDigest);
        if (before?.scan.state === 'queued' || before?.scan.state === 'scanning') return 'pending' as const;
        const scan: ImageScan = {
          manifestDigest: request.manifestDigest,
          state: 'queued',
          reason: request.reason,
          queuedAt: iso(request.at),
          ...(before?.scan.result !== undefined && { result: before.scan.result }),
        };
        write(before, { scan, layers: request.layers, queuedMs: request.at });
        return 'queued' as const;
      }),
    claim: (worker, at) =>
      writeAtomically(root, (): ClaimedScan | undefined => {
        const [digest] = digestsIn('queued', 1);
        const before = digest === undefined ? undefined : scans.get(digest);
        if (before === undefined) return undefined;
        const after: StoredScan = {
          ...before,
          scan: { ...before.scan, state: 'scanning', startedAt: iso(at) },
          worker,
          aliveAt: at,
        };
        write(before, after);
        return { scan: after.scan, layers: after.layers };
      }),
    touch: async (worker, digests, at) => {
      await writeAtomically(root, () => {
        for (const digest of digests) {
          const stored = scans.get(digest);
          if (stored?.scan.state === 'scanning' && stored.worker === worker)
            void scans.put(digest, { ...stored, aliveAt: at });
        }
      });
    },
    complete: (digest, worker, outcome, at) =>
      writeAtomically(root, () => {
        const before = scans.get(digest);
        if (before?.scan.state !== 'scanning' || before.worker !== worker) return false;
        const { error: _error, ...rest } = before.scan;
        const scan: ImageScan =
          outcome.state === 'done'
            ? { ...rest, state: 'done', finishedAt: iso(at), result: outcome.result }
            : { ...rest, state: 'failed', finishedAt: iso(at), error: outcome.error };
        write(before, { scan, layers: before.layers, queuedMs: before.queuedMs });
        return true;
      }),
    requeueAbandoned: (aliveBefore) =>
      writeAtomically(root, () => {
        let requeued = 0;
        for (const digest of digestsIn('scanning', Number.POSITIVE_INFINITY)) {
          const before = scans.get(digest);
          if (before === undefined || (before.aliveAt ?? 0) >= aliveBefore) continue;
          const { startedAt: _startedAt, ...rest } = before.scan;
          write(before, { scan: { ...rest, state: 'queued' }, layers: before.layers, queuedMs: before.queuedMs });
          requeued++;
        }
        return requeued;
      }),
    queueRematch: (generation, at, { after, limit }) =>
      writeAtomically(root, () => {
        let queued = 0;
        let last: string | undefined;
        let seen = 0;
        for (const { key: digest, value } of scans.getRange(after === undefined ? {} : { start: after })) {
          if (digest === after) continue;
          if (seen++ >= limit) return { queued, last };
          last = digest;
          const { scan } = value;
          if (scan.state === 'queued' || scan.state === 'scanning') continue;
          if (scan.result === undefined || scan.result.dbGeneration === generation) continue;
          const { error: _error, startedAt: _startedAt, finishedAt: _finishedAt, ...rest } = scan;
          write(value, {
            scan: { ...rest, state: 'queued', reason: 'vulndb', queuedAt: iso(at) },
            layers: value.layers,
            queuedMs: at,
          });
          queued++;
        }
        return { queued };
      }),
    async counts() {
      const counts = {} as ScanCounts;
      for (const state of STATES) counts[state] = states.getCount(prefixRange([state]));
      return counts;
    },
    async listActive(limit) {
      const digests = [...digestsIn('scanning', limit), ...digestsIn('queued', limit)].slice(0, limit);
      return digests.flatMap((d) => scans.get(d)?.scan ?? []);
    },
    async getRepositoryScanOnPush(repo) {
      return repositories.get(repo);
    },
    async setRepositoryScanOnPush(repo, value) {
      if (value === undefined) await repositories.remove(repo);
      else await repositories.put(repo, value);
    },
  };
}
