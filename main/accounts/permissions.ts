/**
 * @module Who may do what to a repository: one pure function over the facts that matter.
 *
 * Rules (as DTR's): admins may do everything. A user owns the `<user>/` namespace. In an
 * organization's namespace, organization admins may do everything and team grants decide for
 * everyone else (read: pull; read-write: pull and push; admin: pull, push and delete). Anyone
 * signed in may pull a public repository, and so may anonymous clients when anonymous pull is
 * on. Creating a repository by pushing needs `createRepositoryOnPush` (for admins too: with it
 * off, repositories are created through the API or web pages) and a namespace the user may
 * write to; top-level names (no namespace) are the admins'.
 */
import type { AccessLevel } from '../metadata/accounts.js';

export type RepoAction = 'pull' | 'push' | 'delete';

export type Principal =
  /** No credentials. */
  | { kind: 'anonymous' }
  /** A signed-in, active user. */
  | { kind: 'user'; name: string; isAdmin: boolean };

export interface RepositoryFacts {
  exists: boolean;
  visibility: 'public' | 'private';
  /** The namespace (first path segment) is this user's own. */
  ownNamespace: boolean;
  /** The namespace is an organization the user administers. */
  orgAdmin: boolean;
  /** The highest team grant the user holds on this repository, if any. */
  teamAccess?: AccessLevel;
  createRepositoryOnPush: boolean;
  anonymousPull: boolean;
}

const LEVEL_ACTIONS: Record<AccessLevel, RepoAction[]> = {
  read: ['pull'],
  'read-write': ['pull', 'push'],
  admin: ['pull', 'push', 'delete'],
};
const ALL: RepoAction[] = ['pull', 'push', 'delete'];

export function allowedActions(principal: Principal, facts: RepositoryFacts): RepoAction[] {
  if (principal.kind === 'anonymous') {
    return facts.exists && facts.visibility === 'public' && facts.anonymousPull ? ['pull'] : [];
  }
  if (!facts.exists) {
    // Only pushing can create; and only into a namespace the user may write to.
    const mayCreate = facts.createRepositoryOnPush && (principal.isAdmin || facts.ownNamespace || facts.orgAdmin);
    if (mayCreate) return ALL;
    return principal.isAdmin ? ['pull', 'delete'] : [];
  }
  if (principal.isAdmin) return ALL;
  if (facts.ownNamespace || facts.orgAdmin) return ALL;
  const granted = new Set<RepoAction>(facts.teamAccess ? LEVEL_ACTIONS[facts.teamAccess] : []);
  if (facts.visibility === 'public') granted.add('pull');
  return ALL.filter((a) => granted.has(a));
}

const LEVEL_ORDER: AccessLevel[] = ['read', 'read-write', 'admin'];

export function highestLevel(levels: Iterable<AccessLevel>): AccessLevel | undefined {
  let best = -1;
  for (const level of levels) best = Math.max(best, LEVEL_ORDER.indexOf(level));
  return best < 0 ? undefined : LEVEL_ORDER[best];
}
