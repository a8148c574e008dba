/**
 * @module Counting pulls per tag for pruning ("not pulled for", "keep if pulled within"), without
 * a write per pull: pulls gather in memory and are flushed as ONE `recordPulls` call every
 * `intervalMs`, when `maxPending` distinct entries have gathered, and at `close()` (main's stop).
 *
 * What counts as a pull of a tag: a manifest GET (not HEAD: clients HEAD to check for updates
 * without pulling) by that tag, or by a digest the tag points to at flush time, so that
 * deployments pinned by digest keep their tags alive. The children of an index fetched by digest
 * after their parent count for the tags that point to them, usually none.
 *
 * Pull counts are advisory: a flush that fails is logged and its counts are dropped, never
 * retried into an unbounded backlog (and a batch is dropped when two are already waiting on slow
 * metadata); a crash loses at most one interval of counts.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { Logger } from '../../src/log/logger.js';
import type { Reference } from '../../src/oci/reference.js';
import type { TagPullBatchEntry } from '../metadata/pruning.js';
import type { TagEntry } from '../metadata/registry.js';

export interface PullCounterDeps {
  recordPulls: (batch: readonly TagPullBatchEntry[]) => Promise<void>;
  /** The repository's tags, for pulls by digest (read at most once per repository per flush). */
  listTags: (repo: string) => Promise<readonly TagEntry[]>;
  now: () => number;
  logger: Pick<Logger, 'warn'>;
  intervalMs: number;
  /** Distinct (repository, reference) entries held before a flush starts early. */
  maxPending?: number;
}

export interface PullCounter {
  /** Notes one pull; synchronous and cheap (on the manifest GET path). */
  record(repo: string, reference: Reference): void;
  /** Writes what has gathered (one `recordPulls` call, none when nothing did). */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is left. */
  close(): Promise<void>;
}

interface Pending {
  repo: string;
  reference: Reference;
  count: number;
  lastPulledAt: number;
}

const DEFAULT_MAX_PENDING = 10_000;
const MAX_QUEUED = 2;

export function createPullCounter(deps: PullCounterDeps): PullCounter {
  const maxPending = deps.maxPending ?? DEFAULT_MAX_PENDING;
  let pending = new Map<string, Pending>();
  let flushing: Promise<void> = Promise.resolve();
  let queued = 0;

  async function write(batch: Map<string, Pending>): Promise<void> {
    const entries = new Map<string, TagPullBatchEntry>();
    const add = (repo: string, tag: string, count: number, lastPulledAt: number) => {
      const id = `${repo}:${tag}`;
      const entry = entries.get(id);
      if (entry) {
        entry.count += count;
        entry.lastPulledAt = Math.max(entry.lastPulledAt, lastPulledAt);
      } else entries.set(id, { repo, tag, count, lastPulledAt });
    };
    const byDigest = new Map<string, Pending[]>();
    for (const item of batch.values()) {
      if (item.reference.kind === 'tag') add(item.repo, item.reference.tag, item.count, item.lastPulledAt);
      else byDigest.set(item.repo, [...(byDigest.get(item.repo) ?? []), item]);
    }
    for (const [repo, items] of byDigest) {
      const tagsOf = new Map<Digest, string[]>();
      for (const tag of await deps.listTags(repo))
        tagsOf.set(tag.digest, [...(tagsOf.get(tag.digest) ?? []), tag.name]);
      for (const item of items) {
        if (item.reference.kind !== 'digest') continue;
        for (const tag of tagsOf.get(item.reference.digest) ?? []) add(repo, tag, item.count, item.lastPulledAt);
      }
    }
    if (entries.size > 0) await deps.recordPulls([...entries.values()]);
  }

  function flush(): Promise<void> {
    // The batch is taken now (so a full batch stops growing at once); it is written after the
    // previous flush, so batches land in order, one write at a time.
    if (pending.size === 0) return flushing;
    const batch = pending;
    pending = new Map();
    // While the metadata is slow or down, at most MAX_QUEUED batches wait: memory stays bounded.
    if (queued >= MAX_QUEUED) {
      deps.logger.warn('dropped a batch of pull counts', {
        reason: 'earlier batches still waiting',
        entries: batch.size,
      });
      return flushing;
    }
    queued++;
    flushing = flushing.then(() =>
      write(batch)
        .catch((error: unknown) => deps.logger.warn('dropped a batch of pull counts', { error, entries: batch.size }))
        .finally(() => void queued--),
    );
    return flushing;
  }

  const timer = setInterval(() => void flush(), deps.intervalMs);
  timer.unref();

  return {
    record(repo, reference) {
      const id = `${repo}@${reference.kind === 'tag' ? reference.tag : reference.digest}`;
      const at = deps.now();
      const item = pending.get(id);
      if (item) {
        item.count++;
        item.lastPulledAt = Math.max(item.lastPulledAt, at);
        return;
      }
      pending.set(id, { repo, reference, count: 1, lastPulledAt: at });
      if (pending.size >= maxPending) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
