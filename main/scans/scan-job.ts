/**
 * @module The `scan` job kind (contract: main/jobs/types.ts): params `{ repository?: string,
 * onlyScanned?: boolean, since?: number }`. It walks every tag of the repository (none: of every repository),
 * queues through the scan queue (main/scans/scan-queue.ts, the one queue of scans) each platform
 * image never scanned, or last matched against another vulnerability database generation, then
 * follows the scans it queued or found queued until each is done or failed. The queue's records
 * stay the queue: thousands of scans are thousands of scan records, never thousands of jobs.
 *
 * Cancelling stops the following only: the queued scans stay in the scan queue and run as usual
 * (the log says so). `onlyScanned` leaves out images never scanned: the rescan main starts after a
 * new database generation (`startRescanJob`) rematches what was scanned, it does not scan more;
 * it passes `since` (when the queue queued the rematches), so rematches that ended before the job
 * looked at them are still counted as its own.
 * Admins may start it (`POST /api/v0/jobs`); the surface checks that they are admins.
 */
import { z } from 'zod';
import type { Digest } from '../../src/oci/digest.js';
import { isRepoName, type RepoName } from '../../src/oci/reference.js';
import { JobCancelledError } from '../jobs/errors.js';
import type { Jobs } from '../jobs/jobs.js';
import { parseParamsWith } from '../jobs/kinds/params.js';
import type { JobContext, JobKind } from '../jobs/types.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { ScanRequest, ScanStore } from '../metadata/scans.js';
import type { VulnerabilityDatabase } from '../vulndb/types.js';
import { scanTargets } from './scan-targets.js';
import type { ImageScan } from './types.js';

export interface ScanJobDeps {
  registry: Pick<RegistryMetadata, 'getRepository' | 'listRepositories' | 'listTags' | 'getManifest'>;
  store: Pick<ScanStore, 'get'>;
  /** The scan queue's enqueue (stores the record and wakes the workers). */
  enqueue: (request: ScanRequest) => Promise<'queued' | 'pending'>;
  vulndb: Pick<VulnerabilityDatabase, 'status'>;
  now: () => number;
  /** Scans this process runs at once (`scans.concurrency`); 0: other replicas must run them (logged). */
  concurrency?: number;
  /** How often the followed scans are read again (default 1 s). */
  followIntervalMs?: number;
}

const PAGE = 200;
// Scans read per follow round: the queue runs oldest first, so the front of the list ends first.
const FOLLOW_BATCH = 500;
// Failed scans named in the log; the rest are counted (the log is bounded anyway).
const MAX_FAILURE_LINES = 100;

const schema = z
  .object({
    repository: z.string().refine(isRepoName, 'must be a repository name').optional(),
    onlyScanned: z.boolean().default(false),
    // Epoch ms: rematches (reason `vulndb`) that ended since then are followed as if still queued,
    // so main's job after an import counts the rescans that ended before it looked at them.
    since: z.number().int().min(0).optional(),
  })
  .strict();

interface Followed {
  digest: string;
  /** `repo:tag (platform)`, for the log of a failed scan. */
  where: string;
}

/** What to do with one platform image, given its scan record and the current database generation. */
function decide(
  scan: ImageScan | undefined,
  generation: string | null,
  { onlyScanned, since }: { onlyScanned: boolean; since?: number | undefined },
): 'skip' | 'follow' | 'request' | 'vulndb' {
  if (scan?.state === 'queued' || scan?.state === 'scanning') return 'follow';
  const ended = scan?.finishedAt === undefined ? undefined : Date.parse(scan.finishedAt);
  if (since !== undefined && scan?.reason === 'vulndb' && ended !== undefined && ended >= since) return 'follow';
  // Never scanned, or every scan of it failed: a new scan reads its layers.
  if (scan?.result === undefined) return onlyScanned ? 'skip' : 'request';
  // Scanned: a rematch of the stored inventory (run-scan.ts) against the current generation.
  return scan.result.dbGeneration === generation ? 'skip' : 'vulndb';
}

export function createScanJobKind(deps: ScanJobDeps): JobKind {
  const followIntervalMs = deps.followIntervalMs ?? 1000;

  async function* repositories(only: string | undefined): AsyncGenerator<string> {
    if (only !== undefined) {
      if (!(await deps.registry.getRepository(only as RepoName)))
        throw new Error(`repository "${only}" does not exist`);
      yield only;
      return;
    }
    let after: string | undefined;
    for (;;) {
      const page = await deps.registry.listRepositories({ limit: PAGE, ...(after !== undefined && { after }) });
      for (const entry of page) yield entry.name;
      if (page.length < PAGE) return;
      after = page.at(-1)!.name;
    }
  }

  async function* tags(repo: string) {
    let after: string | undefined;
    for (;;) {
      const page = await deps.registry.listTags(repo, { limit: PAGE, ...(after !== undefined && { after }) });
      yield* page;
      if (page.length < PAGE) return;
      after = page.at(-1)!.name;
    }
  }

  async function run(context: JobContext) {
    const params = schema.parse(context.params);
    const { repository, onlyScanned } = params;
    const { signal } = context;
    const generation = (await deps.vulndb.status()).generation;
    context.log(
      `${onlyScanned ? 'rematching scanned images' : 'scanning images'} of ${repository ?? 'every repository'} ` +
        `against database generation ${generation ?? '(none imported)'}`,
    );
    const followed: Followed[] = [];
    // Tags sharing an image, and images shared by repositories, are looked at once.
    const seenTagged = new Set<string>();
    const seenImages = new Set<string>();
    let upToDate = 0;
    let done = 0;
    let failed = 0;
    let failureLines = 0;
    const stopped = (error: unknown) => {
      const why = signal.reason instanceof JobCancelledError ? 'cancelled' : 'interrupted';
      const left = followed.length - done - failed;
      context.log(
        `${why}: stopped following; the ${left} scans still queued or running stay in the scan queue and run as usual`,
      );
      return error;
    };

    try {
      // Queue what needs a scan, repository by repository.
      for await (const repo of repositories(repository)) {
        signal.throwIfAborted();
        let queued = 0;
        let pending = 0;
        let fresh = 0;
        let images = 0;
        for await (const tag of tags(repo)) {
          signal.throwIfAborted();
          if (seenTagged.has(tag.digest)) continue;
          seenTagged.add(tag.digest);
          for (const target of await scanTargets(deps.registry, repo as RepoName, tag.digest as Digest)) {
            if (seenImages.has(target.manifestDigest)) continue;
            seenImages.add(target.manifestDigest);
            images++;
            const action = decide(await deps.store.get(target.manifestDigest), generation, params);
            if (action === 'skip') {
              fresh++;
              continue;
            }
            const where = `${repo}:${tag.name} (${target.platform})`;
            if (action !== 'follow') {
              const request = { manifestDigest: target.manifestDigest, layers: target.layers, at: deps.now() };
              const outcome = await deps.enqueue({ ...request, reason: action });
              if (outcome === 'queued') queued++;
              else pending++;
            } else pending++;
            followed.push({ digest: target.manifestDigest, where });
          }
        }
        upToDate += fresh;
        context.log(`${repo}: ${images} images; queued ${queued}, already queued ${pending}, nothing to do ${fresh}`);
        context.progress(0, followed.length, `queuing: ${repo}`);
      }

      if (deps.concurrency === 0 && followed.length > 0)
        context.log('this replica runs no scans (scans.concurrency 0): they wait for a replica that does');
      // Follow them to their end.
      let open = followed;
      while (open.length > 0) {
        const still: Followed[] = [];
        for (const [index, item] of open.entries()) {
          if (index >= FOLLOW_BATCH) {
            still.push(item);
            continue;
          }
          const scan = await deps.store.get(item.digest);
          if (scan?.state === 'done') done++;
          else if (scan === undefined || scan.state === 'failed') {
            failed++;
            if (failureLines++ < MAX_FAILURE_LINES)
              context.log(`scan failed: ${item.where} ${item.digest}: ${scan?.error ?? 'its record is gone'}`);
          } else still.push(item);
        }
        open = still;
        context.progress(done + failed, followed.length, `${done} done, ${failed} failed`);
        if (open.length > 0) await sleep(followIntervalMs, signal);
      }
    } catch (error) {
      if (signal.aborted) throw stopped(error);
      throw error;
    }
    if (failureLines > MAX_FAILURE_LINES) context.log(`... and ${failureLines - MAX_FAILURE_LINES} more failed scans`);
    context.log(`${followed.length} scans followed: ${done} done, ${failed} failed; ${upToDate} images up to date`);
    return { queued: followed.length, done, failed, upToDate };
  }

  return {
    kind: 'scan',
    adminMayStart: true,
    parseParams: (input) => parseParamsWith(schema, input),
    run,
  };
}

/** Resolves after `ms`, rejects with the abort reason as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * After the scan queue queued rematches for a new database generation (at `since`): starts a `scan`
 * job (`onlyScanned`, startedBy "main") that follows them, so the rescan shows on /admin/jobs.
 * Not when such a job is still waiting (it will find them all). Returns whether it started one.
 */
export async function startRescanJob(jobs: Pick<Jobs, 'list' | 'start'>, since: number): Promise<boolean> {
  const waiting = await jobs.list({ kind: 'scan', state: 'waiting', limit: 20 });
  if (waiting.some((job) => job.startedBy === 'main')) return false;
  await jobs.start({ kind: 'scan', params: { onlyScanned: true, since }, startedBy: 'main' });
  return true;
}
