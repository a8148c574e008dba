/**
 * @module What a pruning policy deletes, as a pure function of the repository's tags, their pull
 * statistics, the policy and the time: the dry run shows this plan and the real run deletes
 * exactly it (pruner.ts recomputes it at run time and re-checks each tag as it deletes it).
 *
 * Order of decisions:
 * 1. A repository with immutable tags prunes nothing (immutability is per repository in outpost).
 * 2. A tag pulled within `keepPulledWithinDays` is protected from everything below.
 * 3. Rules in order: a tag goes with the first rule whose conditions all hold. "Not pulled for
 *    D days" counts from the later of the last pull and the push: a tag pushed (or moved)
 *    yesterday has not been unused for a month, whenever it was last pulled. "Keep the N most recent" ranks the tags matching the rule's pattern by
 *    push time, newest first (ties by name), protected ones included.
 * 4. `maxTags`: of the tags still standing, the oldest unprotected ones go until at most
 *    `maxTags` remain (protected tags count but never go, so a repository may stay above it).
 */
import type { Digest } from '../../src/oci/digest.js';
import type { TagEntry } from '../metadata/registry.js';
import type { TagPulls } from '../metadata/pruning.js';
import type { PruningPolicy } from './policy.js';
import { matchesGlob } from './tag-glob.js';

export const DAY_MS = 86_400_000;

export interface PlannedDeletion {
  tag: string;
  digest: Digest;
  /** Index of the rule that matched in the policy's `rules`, or `maxTags`. */
  rule: number | 'maxTags';
  /** Why, in words, with the figures that decided it. */
  reason: string;
  pushedAt: number;
  lastPulledAt?: number;
  pullCount: number;
}

export interface PlanInput {
  tags: readonly TagEntry[];
  pulls: ReadonlyMap<string, TagPulls>;
  policy: PruningPolicy;
  immutableTags: boolean;
  now: number;
}

const wholeDays = (ms: number) => Math.floor(ms / DAY_MS);
/** Newest push first; the name breaks ties so that a plan never depends on listing order. */
const newestFirst = (a: TagEntry, b: TagEntry) => b.updatedAt - a.updatedAt || (a.name < b.name ? -1 : 1);

export function planPrune({ tags, pulls, policy, immutableTags, now }: PlanInput): PlannedDeletion[] {
  if (immutableTags) return [];
  const lastUse = (tag: TagEntry) => Math.max(pulls.get(tag.name)?.lastPulledAt ?? 0, tag.updatedAt);
  const isProtected = (tag: TagEntry) => {
    const pulledAt = pulls.get(tag.name)?.lastPulledAt;
    return (
      policy.keepPulledWithinDays !== undefined &&
      pulledAt !== undefined &&
      now - pulledAt <= policy.keepPulledWithinDays * DAY_MS
    );
  };
  const chosen = new Map<string, PlannedDeletion>();
  const choose = (tag: TagEntry, rule: PlannedDeletion['rule'], reason: string) => {
    const stats = pulls.get(tag.name);
    chosen.set(tag.name, {
      tag: tag.name,
      digest: tag.digest,
      rule,
      reason,
      pushedAt: tag.updatedAt,
      ...(stats && { lastPulledAt: stats.lastPulledAt }),
      pullCount: stats?.pullCount ?? 0,
    });
  };

  policy.rules.forEach((rule, index) => {
    const matching = tags.filter((tag) => matchesGlob(rule.tagPattern, tag.name)).sort(newestFirst);
    matching.forEach((tag, rank) => {
      if (chosen.has(tag.name) || isProtected(tag)) return;
      const reasons: string[] = [];
      if (rule.olderThanDays !== undefined) {
        if (now - tag.updatedAt <= rule.olderThanDays * DAY_MS) return;
        reasons.push(`pushed ${wholeDays(now - tag.updatedAt)} days ago (more than ${rule.olderThanDays})`);
      }
      if (rule.notPulledForDays !== undefined) {
        if (now - lastUse(tag) <= rule.notPulledForDays * DAY_MS) return;
        const pulledAt = pulls.get(tag.name)?.lastPulledAt;
        const since =
          pulledAt === undefined ? 'pushed and never pulled' : pulledAt >= tag.updatedAt ? 'pulled' : 'pushed';
        reasons.push(`last ${since} ${wholeDays(now - lastUse(tag))} days ago (more than ${rule.notPulledForDays})`);
      }
      if (rule.keepMostRecent !== undefined) {
        if (rank < rule.keepMostRecent) return;
        reasons.push(`not among the ${rule.keepMostRecent} most recent matching "${rule.tagPattern}"`);
      }
      choose(tag, index, `rule ${index + 1} ("${rule.tagPattern}"): ${reasons.join('; ')}`);
    });
  });

  if (policy.maxTags !== undefined) {
    const standing = tags.filter((tag) => !chosen.has(tag.name)).sort(newestFirst);
    let excess = standing.length - policy.maxTags;
    for (let i = standing.length - 1; i >= 0 && excess > 0; i--) {
      const tag = standing[i]!;
      if (isProtected(tag)) continue;
      choose(tag, 'maxTags', `beyond the repository's maximum of ${policy.maxTags} tags (oldest go first)`);
      excess--;
    }
  }
  return [...chosen.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}
