/**
 * The permission rules of main/accounts/permissions.ts as one table: principal kind x
 * repository state x action -> allowed. Each row states what a principal may do on an existing
 * public repository, an existing private one, and a repository that does not exist yet (with
 * `createRepositoryOnPush` on and off). Every cell is expanded over the dimensions that must not
 * matter for it (visibility of a missing repository, the setting for an existing one).
 */
import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  highestLevel,
  type Principal,
  type RepoAction,
  type RepositoryFacts,
} from '../../../main/accounts/permissions.js';
import type { AccessLevel } from '../../../main/metadata/accounts.js';

type Kind =
  | 'admin'
  | 'namespace owner'
  | 'org admin'
  | 'team read'
  | 'team read-write'
  | 'team admin'
  | 'other user'
  | 'anonymous';

const ALICE: Principal = { kind: 'user', name: 'alice', isAdmin: false };

/** The principal and the facts access-control.ts would gather for it on `<namespace>/app`. */
function subject(kind: Kind): {
  principal: Principal;
  facts: Pick<RepositoryFacts, 'ownNamespace' | 'orgAdmin' | 'teamAccess'>;
} {
  const none = { ownNamespace: false, orgAdmin: false };
  switch (kind) {
    case 'admin':
      return { principal: { kind: 'user', name: 'root', isAdmin: true }, facts: none };
    case 'namespace owner':
      return { principal: ALICE, facts: { ...none, ownNamespace: true } };
    case 'org admin':
      return { principal: ALICE, facts: { ...none, orgAdmin: true } };
    case 'team read':
    case 'team read-write':
    case 'team admin':
      return { principal: ALICE, facts: { ...none, teamAccess: kind.slice('team '.length) as AccessLevel } };
    case 'other user':
      return { principal: ALICE, facts: none };
    case 'anonymous':
      return { principal: { kind: 'anonymous' }, facts: none };
  }
}

// p = pull, u = push, d = delete; '-' = nothing.
//                          existing public | existing private | missing, createOnPush on | missing, createOnPush off
const TABLE: Record<Kind, [string, string, string, string]> = {
  admin: ['pud', 'pud', 'pud', 'pd'],
  'namespace owner': ['pud', 'pud', 'pud', '-'],
  'org admin': ['pud', 'pud', 'pud', '-'],
  'team read': ['p', 'p', '-', '-'],
  'team read-write': ['pu', 'pu', '-', '-'],
  'team admin': ['pud', 'pud', '-', '-'],
  'other user': ['p', '-', '-', '-'],
  anonymous: ['p', '-', '-', '-'],
};

const LETTER: Record<RepoAction, string> = { pull: 'p', push: 'u', delete: 'd' };
const ACTIONS: RepoAction[] = ['pull', 'push', 'delete'];

interface Case {
  kind: Kind;
  exists: boolean;
  visibility: 'public' | 'private';
  createRepositoryOnPush: boolean;
  action: RepoAction;
  allowed: boolean;
}

const cases: Case[] = [];
for (const [kind, row] of Object.entries(TABLE) as Array<[Kind, [string, string, string, string]]>) {
  for (const exists of [true, false]) {
    for (const visibility of ['public', 'private'] as const) {
      for (const createRepositoryOnPush of [true, false]) {
        const cell = exists ? (visibility === 'public' ? row[0] : row[1]) : createRepositoryOnPush ? row[2] : row[3];
        for (const action of ACTIONS)
          cases.push({
            kind,
            exists,
            visibility,
            createRepositoryOnPush,
            action,
            allowed: cell.includes(LETTER[action]),
          });
      }
    }
  }
}

describe('allowedActions', () => {
  it('has one case per principal kind, visibility, existence, setting and action', () => {
    expect(cases).toHaveLength(8 * 2 * 2 * 2 * 3);
  });

  it.each(cases)(
    '$kind, $visibility, exists=$exists, createRepositoryOnPush=$createRepositoryOnPush: $action -> $allowed',
    (c) => {
      const { principal, facts } = subject(c.kind);
      const actions = allowedActions(principal, {
        ...facts,
        exists: c.exists,
        visibility: c.visibility,
        createRepositoryOnPush: c.createRepositoryOnPush,
        anonymousPull: true,
      });
      expect(actions.includes(c.action)).toBe(c.allowed);
    },
  );

  it('lists actions in the order pull, push, delete without duplicates', () => {
    const actions = allowedActions(ALICE, {
      exists: true,
      visibility: 'public',
      ownNamespace: false,
      orgAdmin: false,
      teamAccess: 'admin',
      createRepositoryOnPush: true,
      anonymousPull: true,
    });
    expect(actions).toEqual(['pull', 'push', 'delete']);
  });

  describe('with anonymous pull switched off', () => {
    const facts = {
      exists: true,
      visibility: 'public' as const,
      ownNamespace: false,
      orgAdmin: false,
      createRepositoryOnPush: true,
      anonymousPull: false,
    };
    it('refuses anonymous clients even a public repository', () => {
      expect(allowedActions({ kind: 'anonymous' }, facts)).toEqual([]);
    });
    it('still lets any signed-in user pull a public repository', () => {
      expect(allowedActions(ALICE, facts)).toEqual(['pull']);
    });
  });

  it('gives a team grant nothing beyond its level, even on a public repository', () => {
    const facts = {
      exists: true,
      visibility: 'public' as const,
      ownNamespace: false,
      orgAdmin: false,
      teamAccess: 'read' as const,
      createRepositoryOnPush: true,
      anonymousPull: true,
    };
    expect(allowedActions(ALICE, facts)).toEqual(['pull']);
  });
});

describe('highestLevel', () => {
  it.each([
    [[], undefined],
    [['read'], 'read'],
    [['read', 'admin', 'read-write'], 'admin'],
    [['read-write', 'read'], 'read-write'],
  ] as Array<[AccessLevel[], AccessLevel | undefined]>)('%j -> %s', (levels, expected) => {
    expect(highestLevel(levels)).toBe(expected);
  });
});
