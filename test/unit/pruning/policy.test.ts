/**
 * Pruning policies as given (main/pruning/policy.ts) and their tag globs (main/pruning/tag-glob.ts):
 * what is accepted, every limit refused with INVALID_INPUT naming the field, and globs that
 * match as shells do without any pattern making matching blow up.
 */
import { describe, expect, it } from 'vitest';
import { AccountError } from '../../../main/accounts/errors.js';
import { MAX_RULES, parsePolicy } from '../../../main/pruning/policy.js';
import { isTagGlob, matchesGlob } from '../../../main/pruning/tag-glob.js';

function refusal(input: unknown): string {
  try {
    parsePolicy(input);
  } catch (err) {
    expect(err).toBeInstanceOf(AccountError);
    expect((err as AccountError).code).toBe('INVALID_INPUT');
    return (err as AccountError).message;
  }
  throw new Error('the policy was accepted');
}

describe('parsePolicy', () => {
  it('accepts rules, a maximum and the pulled-recently protection, and keeps only what was given', () => {
    const input = {
      rules: [
        { tagPattern: 'dev-*', olderThanDays: 14 },
        { tagPattern: 'v?.*', notPulledForDays: 90, keepMostRecent: 3 },
      ],
      maxTags: 200,
      keepPulledWithinDays: 7,
    };
    expect(parsePolicy(input)).toEqual(input);
    expect(parsePolicy({ rules: [] })).toEqual({ rules: [] });
  });

  it('accepts keepUntaggedManifests as true or false only', () => {
    expect(parsePolicy({ rules: [], keepUntaggedManifests: true })).toEqual({ rules: [], keepUntaggedManifests: true });
    expect(parsePolicy({ rules: [], keepUntaggedManifests: false })).toEqual({
      rules: [],
      keepUntaggedManifests: false,
    });
    expect(refusal({ rules: [], keepUntaggedManifests: 'yes' })).toMatch(/^keepUntaggedManifests: /);
  });

  it(`refuses more than ${MAX_RULES} rules`, () => {
    const rules = Array.from({ length: MAX_RULES + 1 }, () => ({ tagPattern: '*', olderThanDays: 1 }));
    expect(refusal({ rules })).toBe(`rules: at most ${MAX_RULES} rules`);
    expect(parsePolicy({ rules: rules.slice(1) }).rules).toHaveLength(MAX_RULES);
  });

  it('refuses a tag pattern over 128 characters or with characters a tag cannot have', () => {
    expect(refusal({ rules: [{ tagPattern: 'a'.repeat(129), olderThanDays: 1 }] })).toMatch(
      /^rules\.0\.tagPattern: at most 128 characters/,
    );
    expect(refusal({ rules: [{ tagPattern: '(a+)+$', olderThanDays: 1 }] })).toBe(
      'rules.0.tagPattern: a glob of tag characters (letters, digits, . _ -) with * and ?',
    );
    expect(refusal({ rules: [{ tagPattern: '', olderThanDays: 1 }] })).toMatch(/^rules\.0\.tagPattern: a glob/);
  });

  it('refuses a rule with only a pattern: it would delete every matching tag', () => {
    expect(refusal({ rules: [{ tagPattern: '*' }] })).toBe(
      'rules.0: a rule needs a condition besides its pattern (olderThanDays, notPulledForDays or keepMostRecent)',
    );
  });

  it('refuses negative, fractional or huge numbers, unknown fields and a missing rule list', () => {
    expect(refusal({ rules: [{ tagPattern: '*', olderThanDays: -1 }] })).toMatch(/^rules\.0\.olderThanDays: /);
    expect(refusal({ rules: [{ tagPattern: '*', keepMostRecent: 1.5 }] })).toMatch(/^rules\.0\.keepMostRecent: /);
    expect(refusal({ rules: [{ tagPattern: '*', notPulledForDays: 36_501 }] })).toMatch(
      /^rules\.0\.notPulledForDays: /,
    );
    expect(refusal({ rules: [], maxTags: 0 })).toMatch(/^maxTags: /);
    expect(refusal({ rules: [], regex: '.*' })).toMatch(/regex/);
    expect(refusal({ rules: [{ tagPattern: '*', olderThanDays: 1, tagRegex: 'x' }] })).toMatch(/tagRegex/);
    expect(refusal({})).toMatch(/^rules: /);
  });
});

describe('tag globs', () => {
  it('match `*` as any run, `?` as one character, and everything else literally', () => {
    expect(matchesGlob('*', 'latest')).toBe(true);
    expect(matchesGlob('v*', 'v1.2.3')).toBe(true);
    expect(matchesGlob('v*', 'dev-v1')).toBe(false);
    expect(matchesGlob('*-rc?', '1.0-rc1')).toBe(true);
    expect(matchesGlob('*-rc?', '1.0-rc10')).toBe(false);
    expect(matchesGlob('v1.?', 'v1.2')).toBe(true);
    expect(matchesGlob('v1.?', 'v1x2')).toBe(false);
    expect(matchesGlob('a*b*c', 'aXXbYYc')).toBe(true);
    expect(matchesGlob('a*b*c', 'aXXcYYb')).toBe(false);
    expect(matchesGlob('**', '')).toBe(true);
    expect(matchesGlob('latest', 'latest')).toBe(true);
    expect(matchesGlob('latest', 'latest2')).toBe(false);
  });

  it('answers at once for patterns that make backtracking matchers explode', () => {
    // A backtracking regex for this glob (^a*a*...a*b$) tries ~128^20 splits on 128 a's.
    const glob = `${'a*'.repeat(20)}b`;
    expect(isTagGlob(glob)).toBe(true);
    expect(matchesGlob(glob, 'a'.repeat(128))).toBe(false);
    expect(matchesGlob(glob, `${'a'.repeat(127)}b`)).toBe(true);
  });

  it('accept only tag characters and wildcards, up to 128 characters', () => {
    expect(isTagGlob('release-*.?')).toBe(true);
    expect(isTagGlob('a'.repeat(128))).toBe(true);
    expect(isTagGlob('a'.repeat(129))).toBe(false);
    for (const bad of ['', 'v[0-9]', 'a|b', '^v', 'v/1', 'v 1']) expect(isTagGlob(bad)).toBe(false);
  });
});
