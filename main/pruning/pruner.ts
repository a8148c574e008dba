/**
 * @module Pruning a repository: its policy (read and replaced by its administrators), the plan of
 * what the policy deletes now (plan.ts), the dry run that shows it, and the real run that deletes
 * exactly the plan's tags. The real run recomputes the plan when it starts, and deletes each tag
 * only if it still points to the planned digest, checked in the delete's own transaction
 * (`RegistryMetadata.deleteTag` with `pruned`): a tag pushed again meanwhile stays. Each deletion
 * is recorded as a `prune` event by the actor who started the run.
 *
 * Then the manifests the run left untagged go too (unless the policy says `keepUntaggedManifests`),
 * so that the garbage collector reclaims their layers: the candidates are the manifests of the
 * deleted tags, the children of those that are indexes and the referrers (signatures, SBOMs) of
 * all of them, found by reading the metadata (untagged-manifests.ts). The metadata deletes a
 * candidate only if, in the transaction of its batch, no tag points to it and nothing that stays
 * references it: an index still present keeps its children, and a referrer that is kept (tagged,
 * say) keeps its subject (main/metadata/prunable-manifests.ts). The dry run asks the same
 * question as if the plan's tags were gone, so it lists the manifests the real run deletes.
 *
 * Access: every principal-taking operation needs the caller to administer the repository
 * (`administer`: NOT_FOUND when the caller may not see it, NO_PERMISSION when only pull).
 * `planFor` and `run` are unchecked, for the job runner (prune-job.ts), which main starts itself.
 */
import type { Digest } from '../../src/oci/digest.js';
import { isRepoName, type RepoName } from '../../src/oci/reference.js';
import { AccountError } from '../accounts/errors.js';
import type { Principal } from '../accounts/permissions.js';
import type { PruningStore } from '../metadata/pruning.js';
import type { RegistryMetadata, RepositoryRecord, TagEntry } from '../metadata/registry.js';
import { planPrune, type PlannedDeletion } from './plan.js';
import { EMPTY_POLICY, parsePolicy, type PruningPolicy } from './policy.js';
import { deleteUntagged, untaggedCandidates } from './untagged-manifests.js';

export interface PolicyView extends PruningPolicy {
  updatedAt?: string;
  updatedBy?: string;
}

/** A tag of the plan the real run left in place, and why. */
export interface SkippedTag {
  tag: string;
  why: 'changed' | 'immutable';
}

export interface PruneReport {
  repository: string;
  dryRun: boolean;
  /** The repository's tags are immutable: nothing is ever pruned there. */
  immutableTags: boolean;
  /** Dry run: what would go; real run: what went. Sorted by tag name. */
  tags: PlannedDeletion[];
  /** Real run only: planned tags that had changed (pushed again, deleted) or became immutable. */
  skipped: SkippedTag[];
  /** Manifests left untagged that would go (dry run) or went (real run), in digest order. */
  manifests: Digest[];
}

export interface PruningDeps {
  registry: RegistryMetadata;
  store: PruningStore;
  /** The repository's record when `principal` administers it; NOT_FOUND or NO_PERMISSION otherwise. */
  administer: (principal: Principal, name: string) => Promise<RepositoryRecord>;
  actorOf: (principal: Principal) => string;
  now: () => number;
}

export interface RunOptions {
  dryRun: boolean;
  signal?: AbortSignal;
  /** Called after each planned tag is handled (progress of a job). */
  onProgress?: (done: number, total: number) => void;
}

// Tags read per page when a plan lists the repository's tags.
const TAG_PAGE = 1000;

export type Pruning = ReturnType<typeof createPruning>;

export function createPruning({ registry, store, administer, actorOf, now }: PruningDeps) {
  const policyOf = async (name: string): Promise<PruningPolicy> => {
    const record = await store.getPolicy(name);
    return record ? { rules: record.rules, ...pick(record) } : EMPTY_POLICY;
  };

  async function allTags(name: string): Promise<TagEntry[]> {
    const tags: TagEntry[] = [];
    for (;;) {
      const last = tags.at(-1)?.name;
      const page = await registry.listTags(name, { limit: TAG_PAGE, ...(last !== undefined && { after: last }) });
      tags.push(...page);
      if (page.length < TAG_PAGE) return tags;
    }
  }

  /** What the policy of `name` deletes at `at`. */
  async function planFor(name: string, at: number): Promise<{ plan: PlannedDeletion[]; immutableTags: boolean }> {
    const record = await registry.getRepository(name);
    if (!record) throw new AccountError('NOT_FOUND', `repository "${name}" does not exist`);
    const immutableTags = record.immutableTags === true;
    const [policy, tags, pulls] = await Promise.all([policyOf(name), allTags(name), store.listPulls(name)]);
    return { plan: planPrune({ tags, pulls, policy, immutableTags, now: at }), immutableTags };
  }

  /** Plans and, unless `dryRun`, deletes the plan's tags as `actor`. */
  async function run(name: string, actor: string, options: RunOptions): Promise<PruneReport> {
    if (!isRepoName(name)) throw new AccountError('NOT_FOUND', `repository "${name}" does not exist`);
    const repo = name as RepoName;
    const [{ plan, immutableTags }, policy] = await Promise.all([planFor(name, now()), policyOf(name)]);
    const report: PruneReport = {
      repository: name,
      dryRun: options.dryRun,
      immutableTags,
      tags: [],
      skipped: [],
      manifests: [],
    };
    const untagged = async (tags: PlannedDeletion[]) =>
      policy.keepUntaggedManifests === true || tags.length === 0
        ? []
        : untaggedCandidates(registry, repo, [...new Set(tags.map((tag) => tag.digest))]);
    if (options.dryRun) {
      const candidates = await untagged(plan);
      const withoutTags = plan.map((tag) => tag.tag);
      const manifests = await registry.pruneManifests(repo, candidates, actor, now(), { withoutTags });
      return { ...report, tags: plan, manifests: manifests.sort() };
    }
    for (const [index, planned] of plan.entries()) {
      options.signal?.throwIfAborted();
      const outcome = await registry.deleteTag(name as RepoName, planned.tag, actor, now(), { digest: planned.digest });
      if (outcome.kind === 'deleted') report.tags.push(planned);
      else report.skipped.push({ tag: planned.tag, why: outcome.kind === 'immutable' ? 'immutable' : 'changed' });
      options.onProgress?.(index + 1, plan.length);
    }
    const candidates = await untagged(report.tags);
    const manifests = await deleteUntagged(registry, repo, candidates, actor, now, options.signal);
    return { ...report, manifests: manifests.sort() };
  }

  /** Repositories whose policy has rules or a maximum, in name order (the nightly job's list). */
  async function repositoriesWithPolicies(): Promise<string[]> {
    const names: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await registry.listRepositories({ limit: TAG_PAGE, ...(after !== undefined && { after }) });
      for (const { name } of page) {
        const policy = await store.getPolicy(name);
        if (policy && (policy.rules.length > 0 || policy.maxTags !== undefined)) names.push(name);
      }
      if (page.length < TAG_PAGE) return names;
      after = page.at(-1)!.name;
    }
  }

  return {
    planFor,
    run,
    repositoriesWithPolicies,

    /** The repository's policy (no rules when none was set). */
    async getPolicy(principal: Principal, name: string): Promise<PolicyView> {
      await administer(principal, name);
      const record = await store.getPolicy(name);
      if (!record) return { ...EMPTY_POLICY };
      return {
        rules: record.rules,
        ...pick(record),
        updatedAt: new Date(record.updatedAt).toISOString(),
        updatedBy: record.updatedBy,
      };
    },

    /** Replaces the policy with `input` (INVALID_INPUT naming the field when it is not a valid policy). */
    async putPolicy(principal: Principal, name: string, input: unknown): Promise<PolicyView> {
      await administer(principal, name);
      const policy = parsePolicy(input);
      const record = { ...policy, updatedAt: now(), updatedBy: actorOf(principal) };
      if (!(await store.putPolicy(name, record)))
        throw new AccountError('NOT_FOUND', `repository "${name}" does not exist`);
      return { ...policy, updatedAt: new Date(record.updatedAt).toISOString(), updatedBy: record.updatedBy };
    },

    /** What the stored policy would delete now, with the rule that matched each tag. */
    async dryRun(principal: Principal, name: string): Promise<PruneReport> {
      await administer(principal, name);
      return run(name, actorOf(principal), { dryRun: true });
    },

    /** Deletes what the stored policy deletes now, recording each deletion as the caller's `prune` event. */
    async pruneNow(principal: Principal, name: string): Promise<PruneReport> {
      await administer(principal, name);
      return run(name, actorOf(principal), { dryRun: false });
    },
  };
}

const pick = (policy: PruningPolicy): Omit<PruningPolicy, 'rules'> => ({
  ...(policy.maxTags !== undefined && { maxTags: policy.maxTags }),
  ...(policy.keepPulledWithinDays !== undefined && { keepPulledWithinDays: policy.keepPulledWithinDays }),
  ...(policy.keepUntaggedManifests !== undefined && { keepUntaggedManifests: policy.keepUntaggedManifests }),
});
