/**
 * planPrune (main/pruning/plan.ts) on one repository of 50 tags of varied age and pull history
 * (`repository()` below): each rule kind, all conditions of a rule together, the maximum tag
 * count, "keep the N most recent", the pulled-recently protection and immutable repositories.
 */
import { describe, expect, it } from 'vitest';
import type { TagPulls } from '../../../main/metadata/pruning.js';
import type { TagEntry } from '../../../main/metadata/registry.js';
import { DAY_MS, planPrune, type PlanInput } from '../../../main/pruning/plan.js';
import type { PruningPolicy } from '../../../main/pruning/policy.js';
import { digestOf } from '../../../src/oci/digest.js';

const NOW = 1_000 * DAY_MS;

/**
 * 30 release tags `v1`..`v30` (`v<k>` pushed 2k days ago: up to 60 days) and 20 builds
 * `dev-1`..`dev-20` (`dev-<k>` pushed k days ago). Pulls: every fifth release (v5, v10, ...) was
 * pulled 1 day ago; v3 (moved 6 days ago) and v18 (pushed 36 days ago) were last pulled 40 and 35 days
 * ago, v17 (34 days) 31 days ago; the rest were never pulled.
 */
function repository(): { tags: TagEntry[]; pulls: Map<string, TagPulls> } {
  const tags: TagEntry[] = [];
  const pulls = new Map<string, TagPulls>();
  for (let k = 1; k <= 30; k++) tags.push(tag(`v${k}`, 2 * k));
  for (let k = 1; k <= 20; k++) tags.push(tag(`dev-${k}`, k));
  for (let k = 5; k <= 30; k += 5) pulls.set(`v${k}`, { pullCount: 10 * k, lastPulledAt: NOW - DAY_MS });
  pulls.set('v3', { pullCount: 2, lastPulledAt: NOW - 40 * DAY_MS });
  pulls.set('v17', { pullCount: 3, lastPulledAt: NOW - 31 * DAY_MS });
  pulls.set('v18', { pullCount: 1, lastPulledAt: NOW - 35 * DAY_MS });
  return { tags, pulls };
}

function tag(name: string, daysAgo: number): TagEntry {
  return { name, digest: digestOf(Buffer.from(name), 'sha256'), updatedAt: NOW - daysAgo * DAY_MS };
}

const ageDays = (name: string) => {
  const [, kind, k] = /^(v|dev-)(\d+)$/.exec(name)!;
  return kind === 'v' ? 2 * Number(k) : Number(k);
};

function plan(policy: PruningPolicy, extra: Partial<PlanInput> = {}) {
  return planPrune({ ...repository(), policy, immutableTags: false, now: NOW, ...extra });
}

const names = (entries: { tag: string }[]) => entries.map((entry) => entry.tag);
const sorted = (list: string[]) => [...list].sort();
const allNames = () => repository().tags.map((t) => t.name);

describe('planPrune', () => {
  it('deletes nothing without rules or a maximum', () => {
    expect(plan({ rules: [] })).toEqual([]);
  });

  it('age since push: deletes the tags matching the pattern pushed more than D days ago', () => {
    const result = plan({ rules: [{ tagPattern: 'dev-*', olderThanDays: 10 }] });
    expect(names(result)).toEqual(sorted(allNames().filter((n) => n.startsWith('dev-') && ageDays(n) > 10)));
    expect(result).toHaveLength(10);
    expect(result[0]).toMatchObject({ tag: 'dev-11', rule: 0, pushedAt: NOW - 11 * DAY_MS, pullCount: 0 });
    expect(result[0]!.reason).toBe('rule 1 ("dev-*"): pushed 11 days ago (more than 10)');
  });

  it('not pulled for D days: counts from the later of the last pull and the push', () => {
    const result = plan({ rules: [{ tagPattern: '*', notPulledForDays: 30 }] });
    const recentlyPulled = new Set(['v5', 'v10', 'v15', 'v20', 'v25', 'v30']);
    // Releases older than 30 days (v16 and up) not pulled in the last 30: v17 (31 days) and v18 (40) are among them.
    const expected = allNames().filter((n) => !recentlyPulled.has(n) && ageDays(n) > 30);
    expect(names(result)).toEqual(sorted(expected));
    // v3 was last pulled 40 days ago, but moved 6 days ago: a push counts as use.
    expect(names(result)).not.toContain('v3');
    expect(result.find((e) => e.tag === 'v18')).toMatchObject({ lastPulledAt: NOW - 35 * DAY_MS, pullCount: 1 });
    expect(result.find((e) => e.tag === 'v18')!.reason).toBe('rule 1 ("*"): last pulled 35 days ago (more than 30)');
    expect(result.find((e) => e.tag === 'v16')!.reason).toBe(
      'rule 1 ("*"): last pushed and never pulled 32 days ago (more than 30)',
    );
  });

  it('keep the N most recent: of the tags matching the pattern, all but the N newest pushes go', () => {
    const result = plan({ rules: [{ tagPattern: 'v*', keepMostRecent: 5 }] });
    expect(names(result)).toEqual(sorted(allNames().filter((n) => n.startsWith('v') && ageDays(n) > 10)));
    expect(result.find((e) => e.tag === 'v6')!.reason).toBe('rule 1 ("v*"): not among the 5 most recent matching "v*"');
  });

  it('a rule deletes a tag only when ALL its conditions hold', () => {
    const result = plan({ rules: [{ tagPattern: 'v*', olderThanDays: 20, notPulledForDays: 7, keepMostRecent: 20 }] });
    // Older than 20 days: v11..v30; not pulled within 7 days: not v15, v20, v25, v30; beyond the 20 newest: v21..v30.
    expect(names(result)).toEqual(sorted(['v21', 'v22', 'v23', 'v24', 'v26', 'v27', 'v28', 'v29']));
  });

  it('the first rule that matches a tag is the one reported', () => {
    const result = plan({
      rules: [
        { tagPattern: 'dev-1?', olderThanDays: 15 },
        { tagPattern: 'dev-*', olderThanDays: 5 },
      ],
    });
    expect(result.filter((e) => e.rule === 0).map((e) => e.tag)).toEqual(['dev-16', 'dev-17', 'dev-18', 'dev-19']);
    expect(result.filter((e) => e.rule === 1).map((e) => e.tag)).toEqual(
      sorted([
        'dev-6',
        'dev-7',
        'dev-8',
        'dev-9',
        'dev-10',
        'dev-11',
        'dev-12',
        'dev-13',
        'dev-14',
        'dev-15',
        'dev-20',
      ]),
    );
  });

  it('maximum tag count: the oldest tags beyond it go, after the rules', () => {
    const result = plan({ rules: [{ tagPattern: 'dev-*', olderThanDays: 15 }], maxTags: 40 });
    const byRule = result.filter((e) => e.rule === 0).map((e) => e.tag);
    expect(byRule).toEqual(['dev-16', 'dev-17', 'dev-18', 'dev-19', 'dev-20']);
    // 45 stand after the rule; the 5 oldest of them (v26..v30, 52 to 60 days) go.
    const byMax = result.filter((e) => e.rule === 'maxTags');
    expect(byMax.map((e) => e.tag)).toEqual(['v26', 'v27', 'v28', 'v29', 'v30']);
    expect(byMax[0]!.reason).toBe("beyond the repository's maximum of 40 tags (oldest go first)");
  });

  it('keep if pulled within P days: protects a tag from every rule and from the maximum', () => {
    const result = plan({ rules: [{ tagPattern: 'v*', olderThanDays: 20 }], maxTags: 10, keepPulledWithinDays: 7 });
    const pulledRecently = ['v5', 'v10', 'v15', 'v20', 'v25', 'v30'];
    for (const name of pulledRecently) expect(names(result)).not.toContain(name);
    // What stands: the 6 protected ones plus the 4 newest unprotected (dev-1, dev-2, v1 at 2 days, dev-3).
    const standing = allNames().filter((n) => !names(result).includes(n));
    expect(sorted(standing)).toEqual(sorted([...pulledRecently, 'dev-1', 'dev-2', 'v1', 'dev-3']));
  });

  it('a protected tag counts toward the maximum but never goes, even when that leaves more tags', () => {
    const result = plan({ rules: [], maxTags: 1, keepPulledWithinDays: 7 });
    expect(result).toHaveLength(44);
    expect(50 - result.length).toBe(6);
  });

  it('a repository with immutable tags prunes nothing', () => {
    expect(plan({ rules: [{ tagPattern: '*', olderThanDays: 0 }], maxTags: 1 }, { immutableTags: true })).toEqual([]);
  });

  it('does not depend on the order the tags are listed in', () => {
    const policy: PruningPolicy = { rules: [{ tagPattern: '*', keepMostRecent: 12 }], maxTags: 5 };
    const { tags, pulls } = repository();
    const forward = planPrune({ tags, pulls, policy, immutableTags: false, now: NOW });
    const backward = planPrune({ tags: [...tags].reverse(), pulls, policy, immutableTags: false, now: NOW });
    expect(backward).toEqual(forward);
    expect(forward).toHaveLength(45);
  });
});
