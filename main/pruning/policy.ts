/**
 * @module Pruning policies as the API and the web page give them: parsed and checked once here
 * (every limit stated), so the planner (plan.ts) only ever sees valid policies. A refusal is an
 * INVALID_INPUT naming the field, which the API answers 400.
 *
 * DTR's model: a policy is a list of rules; a rule deletes a tag when ALL of its conditions hold
 * (name pattern, age since push, time since last pull, not among the N most recent of the
 * pattern). Beside the rules, `maxTags` caps the repository's tag count (the oldest beyond go),
 * and `keepPulledWithinDays` protects every tag pulled recently, whatever the rules say.
 * `keepUntaggedManifests: true` keeps the manifests a run leaves untagged (pruner.ts deletes them by default).
 */
import { z } from 'zod';
import { AccountError } from '../accounts/errors.js';
import type { PruningRuleRecord } from '../metadata/pruning.js';
import { isTagGlob, MAX_GLOB_LENGTH } from './tag-glob.js';

export const MAX_RULES = 20;
// 100 years: beyond it a rule could never match anything pushed by this software.
const MAX_DAYS = 36_500;
const MAX_KEEP = 100_000;

const days = z.number().int().min(0).max(MAX_DAYS);

const ruleSchema = z
  .object({
    tagPattern: z
      .string()
      .max(MAX_GLOB_LENGTH, `at most ${MAX_GLOB_LENGTH} characters`)
      .refine(isTagGlob, 'a glob of tag characters (letters, digits, . _ -) with * and ?'),
    olderThanDays: days.optional(),
    notPulledForDays: days.optional(),
    keepMostRecent: z.number().int().min(0).max(MAX_KEEP).optional(),
  })
  .strict()
  .refine(
    (rule) =>
      rule.olderThanDays !== undefined || rule.notPulledForDays !== undefined || rule.keepMostRecent !== undefined,
    'a rule needs a condition besides its pattern (olderThanDays, notPulledForDays or keepMostRecent)',
  );

export const policySchema = z
  .object({
    rules: z.array(ruleSchema).max(MAX_RULES, `at most ${MAX_RULES} rules`),
    maxTags: z.number().int().min(1).max(MAX_KEEP).optional(),
    keepPulledWithinDays: days.optional(),
    keepUntaggedManifests: z.boolean().optional(),
  })
  .strict();

/** A policy as the planner reads it (the stored record without who changed it when). */
export interface PruningPolicy {
  rules: PruningRuleRecord[];
  maxTags?: number;
  keepPulledWithinDays?: number;
  /** The manifests a run leaves untagged stay (their layers with them); by default they go. */
  keepUntaggedManifests?: boolean;
}

export const EMPTY_POLICY: PruningPolicy = Object.freeze({ rules: [] });

/** The policy in `input`, or INVALID_INPUT naming the first problems. */
export function parsePolicy(input: unknown): PruningPolicy {
  const parsed = policySchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
    throw new AccountError('INVALID_INPUT', problems.join('; '));
  }
  const { rules, maxTags, keepPulledWithinDays, keepUntaggedManifests } = parsed.data;
  return {
    rules: rules.map((rule) => ({
      tagPattern: rule.tagPattern,
      ...(rule.olderThanDays !== undefined && { olderThanDays: rule.olderThanDays }),
      ...(rule.notPulledForDays !== undefined && { notPulledForDays: rule.notPulledForDays }),
      ...(rule.keepMostRecent !== undefined && { keepMostRecent: rule.keepMostRecent }),
    })),
    ...(maxTags !== undefined && { maxTags }),
    ...(keepPulledWithinDays !== undefined && { keepPulledWithinDays }),
    ...(keepUntaggedManifests !== undefined && { keepUntaggedManifests }),
  };
}
