/**
 * @module The pruning owner: each repository's pruning policy and each tag's pull statistics
 * (how often and when last it was pulled). The domain (main/pruning/) decides what a policy
 * means; this owner only keeps the records. The backends (lmdb/pruning.ts, postgres/pruning.ts)
 * implement it and nothing else reads their tables.
 *
 * Lifetimes: a policy goes with its repository; a tag's pull statistics go when the tag is
 * deleted (by a client, by pruning, with its manifest or with its repository) and stay when the
 * tag is moved to another manifest (it is still the tag people pull).
 */

/** One rule of a policy, as stored (the domain checked it: main/pruning/policy.ts). */
export interface PruningRuleRecord {
  /** Glob over tag names: `*` any run of characters, `?` one character. */
  tagPattern: string;
  /** The tag was pushed (or last moved) more than this many days ago. */
  olderThanDays?: number;
  /** The tag was not pulled for more than this many days (never pulled: counted from its push). */
  notPulledForDays?: number;
  /** The N most recently pushed tags matching `tagPattern` are kept. */
  keepMostRecent?: number;
}

export interface PruningPolicyRecord {
  rules: PruningRuleRecord[];
  /** At most this many tags stay in the repository: the oldest beyond it go. */
  maxTags?: number;
  /** A tag pulled within this many days is never pruned, whatever the rules say. */
  keepPulledWithinDays?: number;
  /** The manifests a pruning run leaves untagged stay (by default they are deleted). */
  keepUntaggedManifests?: boolean;
  updatedAt: number;
  updatedBy: string;
}

export interface TagPulls {
  pullCount: number;
  lastPulledAt: number;
}

/** Pulls of one tag gathered since the last flush. */
export interface TagPullBatchEntry {
  repo: string;
  tag: string;
  count: number;
  /** The latest pull of the batch. */
  lastPulledAt: number;
}

export interface PruningStore {
  getPolicy(repo: string): Promise<PruningPolicyRecord | undefined>;
  /** Replaces the policy; false (nothing written) when the repository does not exist. */
  putPolicy(repo: string, policy: PruningPolicyRecord): Promise<boolean>;
  /**
   * Adds a batch of pulls in ONE write transaction: counts add up, `lastPulledAt` only moves
   * forward (a tag named several times adds up). Entries for tags that do not exist (any more) are ignored.
   */
  recordPulls(batch: readonly TagPullBatchEntry[]): Promise<void>;
  /** The pull statistics of the tags of `repo` that were ever pulled, by tag name. */
  listPulls(repo: string): Promise<Map<string, TagPulls>>;
}
