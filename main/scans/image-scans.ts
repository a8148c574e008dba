/**
 * @module Image scans as callers see them (API, CLI, web): a tag's scans per platform, scans
 * started on demand or by a push, the queue's and the database's status, and a repository's own
 * scan-on-push choice. Access: reading a tag's scans is the pull right (a caller without it gets
 * the NOT_FOUND of a repository that does not exist, so private names do not leak); starting a
 * scan is the push right; a repository's scan-on-push is its administrators'; the status needs a
 * signed-in user and only administrators see which images are queued.
 *
 * Throws `AccountError` (NOT_FOUND, INVALID_INPUT, NO_PERMISSION) or the `UNAUTHORIZED` of
 * `signedIn`; each surface maps those once. No HTTP here.
 */
import type { Digest } from '../../src/oci/digest.js';
import type { Logger } from '../../src/log/logger.js';
import { isTag, type RepoName } from '../../src/oci/reference.js';
import { signedIn } from '../accounts/account-management.js';
import type { AccessControl } from '../accounts/access-control.js';
import { AccountError } from '../accounts/errors.js';
import type { Principal } from '../accounts/permissions.js';
import type { Repositories } from '../accounts/repositories.js';
import type { RegistryMetadata } from '../metadata/registry.js';
import type { ScanCounts, ScanRequest, ScanStore } from '../metadata/scans.js';
import type { SettingsStore } from '../metadata/settings.js';
import type { ImageScan, ScanResults } from './types.js';
import {
  SEVERITIES,
  type Finding,
  type SeverityCounts,
  type VulnDbStatus,
  type VulnerabilityDatabase,
} from '../vulndb/types.js';
import type { InventoryPackage, SkippedFile, Distro } from '../scan/types.js';
import { scanTargets } from './scan-targets.js';

export interface PlatformScanView {
  platform: string;
  digest: string;
  /** `not_scanned`: no scan of this manifest was ever queued. */
  state: ImageScan['state'] | 'not_scanned';
  reason?: ImageScan['reason'];
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** When the inventory was read, and the database generation the findings come from. */
  scannedAt?: string;
  dbGeneration?: string | null;
  distro?: Distro;
  counts: SeverityCounts;
  packages: InventoryPackage[];
  vulnerabilities: Finding[];
  skipped: SkippedFile[];
}

export interface TagScanView {
  namespace: string;
  reponame: string;
  tag: string;
  /** The manifest the tag points to (an index for a multi-platform image). */
  digest: string;
  /** Distinct findings (advisory and package) over every platform. */
  counts: SeverityCounts;
  platforms: PlatformScanView[];
}

export interface ScanStatusView {
  database: VulnDbStatus & { ageSeconds: number | null };
  queue: ScanCounts & { concurrency: number };
  /** Administrators only: what is scanning and queued, scanning first (at most 100). */
  active?: Pick<ImageScan, 'manifestDigest' | 'state' | 'reason' | 'queuedAt' | 'startedAt'>[];
}

export interface QueuedPlatform {
  platform: string;
  digest: string;
  /** `pending`: a scan of it was already queued or running. */
  outcome: 'queued' | 'pending';
}

export interface ImageScansDeps {
  enqueue: (request: ScanRequest) => Promise<'queued' | 'pending'>;
  concurrency: number;
  store: ScanStore;
  registry: Pick<RegistryMetadata, 'resolve' | 'getManifest'>;
  repositories: Pick<Repositories, 'get'>;
  accessControl: Pick<AccessControl, 'actionsFor'>;
  settings: Pick<SettingsStore, 'getMetaSettings'>;
  vulndb: Pick<VulnerabilityDatabase, 'status'>;
  logger: Logger;
  now: () => number;
}

const MAX_ACTIVE = 100;
const zeroCounts = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });

/** Queues a scan of every platform image of `digest` in `repo`; the CLI uses it too. */
export async function queueScansOf(
  deps: Pick<ImageScansDeps, 'registry' | 'enqueue'>,
  repo: RepoName,
  digest: Digest,
  reason: ImageScan['reason'],
  at: number,
): Promise<QueuedPlatform[]> {
  const queued: QueuedPlatform[] = [];
  for (const target of await scanTargets(deps.registry, repo, digest)) {
    const outcome = await deps.enqueue({ manifestDigest: target.manifestDigest, reason, layers: target.layers, at });
    queued.push({ platform: target.platform, digest: target.manifestDigest, outcome });
  }
  return queued;
}

export function createImageScans(deps: ImageScansDeps) {
  const { store, registry, logger } = deps;

  async function resolveTag(principal: Principal, name: string, tag: string): Promise<Digest> {
    // The pull right first: a caller who may not pull learns nothing, not even that a tag is malformed.
    await deps.repositories.get(principal, name);
    if (!isTag(tag)) throw new AccountError('INVALID_INPUT', 'a tag is [A-Za-z0-9_][A-Za-z0-9._-]{0,127}');
    const digest = await registry.resolve(name as RepoName, { kind: 'tag', tag });
    if (!digest) throw new AccountError('NOT_FOUND', `tag "${tag}" does not exist in "${name}"`);
    return digest;
  }

  async function requireAction(principal: Principal, name: string, action: 'push' | 'delete', what: string) {
    signedIn(principal);
    await deps.repositories.get(principal, name);
    if (!(await deps.accessControl.actionsFor(principal, name)).includes(action))
      throw new AccountError('NO_PERMISSION', `only users who may ${what} "${name}" may do this`);
  }

  /** Whether pushes to the repository are scanned: its own choice, else the registry-wide setting (pull right). */
  async function scanOnPush(principal: Principal, name: string): Promise<{ scanOnPush: boolean; inherited: boolean }> {
    await deps.repositories.get(principal, name);
    const own = await store.getRepositoryScanOnPush(name);
    if (own !== undefined) return { scanOnPush: own, inherited: false };
    return { scanOnPush: (await deps.settings.getMetaSettings()).scanOnPush, inherited: true };
  }

  function platformView(platform: string, digest: string, scan: ImageScan | undefined): PlatformScanView {
    const result = scan?.result;
    return {
      platform,
      digest,
      state: scan?.state ?? 'not_scanned',
      ...(scan && {
        reason: scan.reason,
        queuedAt: scan.queuedAt,
        ...(scan.startedAt !== undefined && { startedAt: scan.startedAt }),
        ...(scan.finishedAt !== undefined && { finishedAt: scan.finishedAt }),
        ...(scan.error !== undefined && { error: scan.error }),
      }),
      ...(result && { scannedAt: result.scannedAt, dbGeneration: result.dbGeneration }),
      ...(result?.inventory.distro && { distro: result.inventory.distro }),
      counts: result?.counts ?? zeroCounts(),
      packages: result?.inventory.packages ?? [],
      vulnerabilities: result?.vulnerabilities ?? [],
      skipped: result?.inventory.skipped ?? [],
    };
  }

  return {
    /** Queues a scan of each platform of the tag's image (push right); reason "request". */
    async scanTag(principal: Principal, name: string, tag: string): Promise<QueuedPlatform[]> {
      await requireAction(principal, name, 'push', 'push to');
      const digest = await resolveTag(principal, name, tag);
      const queued = await queueScansOf(deps, name as RepoName, digest, 'request', deps.now());
      if (queued.length === 0) throw new AccountError('INVALID_INPUT', `tag "${tag}" is an artifact, not an image`);
      return queued;
    },

    /** The tag's scans per platform, with inventories and findings (pull right). */
    async tagResults(principal: Principal, name: string, tag: string): Promise<TagScanView> {
      const digest = await resolveTag(principal, name, tag);
      const platforms: PlatformScanView[] = [];
      for (const target of await scanTargets(registry, name as RepoName, digest)) {
        platforms.push(platformView(target.platform, target.manifestDigest, await store.get(target.manifestDigest)));
      }
      const slash = name.indexOf('/');
      return {
        namespace: name.slice(0, Math.max(0, slash)),
        reponame: name.slice(slash + 1),
        tag,
        digest,
        counts: distinctCounts(platforms),
        platforms,
      };
    },

    async status(principal: Principal): Promise<ScanStatusView> {
      const user = signedIn(principal);
      const [database, counts] = await Promise.all([deps.vulndb.status(), store.counts()]);
      const importedAt = database.importedAt === null ? null : Date.parse(database.importedAt);
      return {
        database: {
          ...database,
          ageSeconds: importedAt === null ? null : Math.max(0, Math.round((deps.now() - importedAt) / 1000)),
        },
        queue: { ...counts, concurrency: deps.concurrency },
        ...(user.isAdmin && {
          active: (await store.listActive(MAX_ACTIVE)).map(
            ({ manifestDigest, state, reason, queuedAt, startedAt }) => ({
              manifestDigest,
              state,
              reason,
              queuedAt,
              ...(startedAt !== undefined && { startedAt }),
            }),
          ),
        }),
      };
    },

    scanOnPush,

    /** Sets (null: clears) the repository's own scan-on-push (its administrators). */
    async setScanOnPush(principal: Principal, name: string, value: boolean | null) {
      await requireAction(principal, name, 'delete', 'administer');
      await store.setRepositoryScanOnPush(name, value ?? undefined);
      return scanOnPush(principal, name);
    },

    /**
     * After a manifest put (never awaited by the push): when the repository scans on push, queues
     * each platform image not scanned yet. Failures are logged, never thrown.
     */
    onManifestPushed(repo: RepoName, digest: Digest): void {
      void (async () => {
        const own = await store.getRepositoryScanOnPush(repo);
        if (!(own ?? (await deps.settings.getMetaSettings()).scanOnPush)) return;
        const at = deps.now();
        await queueScansOf(
          {
            registry,
            // A manifest already scanned (the same image under another tag or repository) is not scanned again.
            enqueue: async (request) => {
              const existing = await store.get(request.manifestDigest);
              if (existing !== undefined && existing.state !== 'failed') return 'pending';
              return deps.enqueue(request);
            },
          },
          repo,
          digest,
          'push',
          at,
        );
      })().catch((error) => logger.warn('could not queue a scan of a pushed image', { repo, digest, error }));
    },

    /** `ScanResults` for the pages, the SBOM export and the pull policy. */
    results: { forManifest: (digest) => store.get(digest) } satisfies ScanResults,
  };
}

export type ImageScans = ReturnType<typeof createImageScans>;

function distinctCounts(platforms: PlatformScanView[]): SeverityCounts {
  const counts = zeroCounts();
  const seen = new Set<string>();
  for (const p of platforms) {
    for (const f of p.vulnerabilities) {
      const key = `${f.id}\u0000${f.package.ecosystem}\u0000${f.package.name}\u0000${f.package.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      counts[SEVERITIES.includes(f.severity) ? f.severity : 'unknown']++;
    }
  }
  return counts;
}
