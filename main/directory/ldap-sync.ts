/**
 * @module The directory sync, a job of kind "ldap-sync" (main/jobs/types.ts): users the directory has
 * become (or stay) outpost accounts, active unless the disabled filter matches them; accounts the directory
 * created and no longer has are deactivated (never removed: their repositories and history stay); each
 * linked team's members become exactly the directory's (main/directory/team-members.ts). Local accounts
 * are never changed, even when the directory has a user of the same name (counted as `localConflicts`).
 *
 * Nothing here changes the directory. A sync with the directory disabled does nothing and says so.
 */
import { AccountError } from '../accounts/errors.js';
import type { Accounts } from '../accounts/accounts.js';
import type { JobContext, JobKind } from '../jobs/types.js';
import type { Jobs } from '../jobs/jobs.js';
import type { SettingsStore } from '../metadata/settings.js';
import { openDirectory } from './directory-connection.js';
import { disabledUserDns, listDirectoryUsers, normalizeDn } from './directory-users.js';
import { isActiveDirectory, teamMemberDns } from './team-members.js';

export interface LdapSyncSummary extends Record<string, unknown> {
  enabled: boolean;
  directoryUsers: number;
  created: number;
  activated: number;
  deactivated: number;
  localConflicts: number;
  teams: number;
  membersAdded: number;
  membersRemoved: number;
  /** Links naming a team that does not exist (or other refusals), by "org/team". */
  teamErrors: string[];
}

export interface LdapSyncDeps {
  accounts: Accounts;
  settings: SettingsStore;
}

/** Runs one sync; `context` reports progress and log lines and may cancel between steps. */
export async function syncDirectory(deps: LdapSyncDeps, context: Pick<JobContext, 'signal' | 'progress' | 'log'>) {
  const summary: LdapSyncSummary = {
    enabled: false,
    directoryUsers: 0,
    created: 0,
    activated: 0,
    deactivated: 0,
    localConflicts: 0,
    teams: 0,
    membersAdded: 0,
    membersRemoved: 0,
    teamErrors: [],
  };
  const s = await deps.settings.getLdapSettings();
  if (!s.enabled) {
    context.log('the directory is not enabled: nothing to sync');
    return summary;
  }
  summary.enabled = true;
  const { accounts } = deps;
  const conn = await openDirectory(s);
  try {
    const directoryUsers = await listDirectoryUsers(conn, s);
    const disabled = await disabledUserDns(conn, s);
    summary.directoryUsers = directoryUsers.length;
    context.log(`the directory lists ${directoryUsers.length} users, ${disabled.size} of them disabled`);
    const local = new Map((await accounts.listUsers()).map((u) => [u.name, u]));
    const inDirectory = new Map(directoryUsers.map((u) => [u.name, u]));
    const total = directoryUsers.length + s.teamLinks.length;
    let done = 0;

    await inParallel(directoryUsers, async (user) => {
      context.signal.throwIfAborted();
      const active = !disabled.has(normalizeDn(user.dn));
      const existing = local.get(user.name);
      if (!existing) {
        const { fullName } = user;
        try {
          await accounts.createDirectoryUser({ name: user.name, isActive: active, ...(fullName && { fullName }) });
          summary.created++;
        } catch (err) {
          if (!(err instanceof AccountError)) throw err;
          context.log(`user ${user.name} not created: ${err.message}`);
        }
      } else if (!existing.fromDirectory) {
        summary.localConflicts++;
      } else if (existing.isActive !== active || (user.fullName !== undefined && existing.fullName !== user.fullName)) {
        if (await setActive(accounts, user.name, active, user.fullName, context)) {
          if (existing.isActive !== active) summary[active ? 'activated' : 'deactivated']++;
        }
      }
      if (++done % 100 === 0) context.progress(done, total, 'users');
    });
    for (const user of local.values()) {
      if (user.fromDirectory && user.isActive && !inDirectory.has(user.name)) {
        if (await setActive(accounts, user.name, false, undefined, context)) summary.deactivated++;
      }
    }

    const userDns = new Map(directoryUsers.map((u) => [normalizeDn(u.dn), u.name]));
    const activeDirectory = s.teamLinks.some((l) => l.nested) && (await isActiveDirectory(conn));
    for (const link of s.teamLinks) {
      context.signal.throwIfAborted();
      const label = `${link.org}/${link.team}`;
      try {
        const dns = await teamMemberDns(conn, s, link, new Set(userDns.keys()), activeDirectory);
        const wanted = new Set([...dns].flatMap((dn) => userDns.get(dn) ?? []));
        const current = new Set(await accounts.listTeamMembers(link.org, link.team));
        await inParallel(
          [...wanted].filter((name) => !current.has(name)),
          async (name) => {
            await accounts.addTeamMember(link.org, link.team, name);
            summary.membersAdded++;
          },
        );
        await inParallel(
          [...current].filter((name) => !wanted.has(name)),
          async (name) => {
            await accounts.removeTeamMember(link.org, link.team, name);
            summary.membersRemoved++;
          },
        );
        summary.teams++;
        context.log(`team ${label}: ${wanted.size} members`);
      } catch (err) {
        if (!(err instanceof AccountError)) throw err;
        summary.teamErrors.push(label);
        context.log(`team ${label} not synced: ${err.message}`);
      }
      context.progress(++done, total, 'teams');
    }
  } finally {
    await conn.close();
  }
  context.log(
    `created ${summary.created}, activated ${summary.activated}, deactivated ${summary.deactivated}, ` +
      `team members added ${summary.membersAdded}, removed ${summary.membersRemoved}`,
  );
  return summary;
}

/**
 * Account writes run this many at a time: each is its own transaction, and concurrent ones share a commit
 * (lmdb-js batches them; PostgreSQL spreads them over the pool), where one at a time paid a disk sync each
 * (1,000 new users took 18 s one by one on the CI disk; see `npm run bench -- --only ldap`).
 */
const WRITE_CONCURRENCY = 16;

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  // Every worker settles before the first error is thrown: none is left writing after the sync ended.
  const results = await Promise.allSettled(Array.from({ length: Math.min(WRITE_CONCURRENCY, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** False (and logged) when the change is refused, e.g. it would leave no active administrator. */
async function setActive(
  accounts: Accounts,
  name: string,
  isActive: boolean,
  fullName: string | undefined,
  context: Pick<JobContext, 'log'>,
): Promise<boolean> {
  try {
    await accounts.updateUser(
      name,
      { isActive, ...(fullName !== undefined && { fullName }) },
      { keepAnActiveAdmin: true },
    );
    return true;
  } catch (err) {
    if (!(err instanceof AccountError)) throw err;
    context.log(`user ${name} not ${isActive ? 'activated' : 'deactivated'}: ${err.message}`);
    return false;
  }
}

/** The job kind the runner registers; an admin may start it (no parameters). */
export function createLdapSyncJob(deps: LdapSyncDeps): JobKind {
  return {
    kind: 'ldap-sync',
    adminMayStart: true,
    parseParams(input) {
      if (input !== undefined && input !== null && (typeof input !== 'object' || Object.keys(input).length > 0))
        throw new AccountError('INVALID_INPUT', 'ldap-sync takes no parameters');
      return {};
    },
    run: (context) => syncDirectory(deps, context),
  };
}

/**
 * The periodic trigger: when the next sync is due, given the last one's start (undefined: never ran), or
 * undefined when no periodic sync is wanted (directory disabled, or interval 0); `startLdapSyncIfDue` asks.
 */
export async function nextLdapSyncAt(settings: SettingsStore, lastStartedAt: number | undefined, now: number) {
  const s = await settings.getLdapSettings();
  if (!s.enabled || s.syncIntervalMinutes === 0) return undefined;
  return lastStartedAt === undefined ? now : lastStartedAt + s.syncIntervalMinutes * 60_000;
}

export interface LdapSyncTriggerDeps {
  settings: SettingsStore;
  jobs: Pick<Jobs, 'list' | 'start'>;
  now: () => number;
}

/**
 * One tick of the periodic sync (main runs it once per cluster, every minute): starts an `ldap-sync`
 * job when the directory's interval has passed since the last one was created, unless one is still
 * waiting or running. Returns whether it started one.
 */
export async function startLdapSyncIfDue({ settings, jobs, now }: LdapSyncTriggerDeps): Promise<boolean> {
  const [last] = await jobs.list({ kind: 'ldap-sync', limit: 1 });
  if (last && (last.state === 'waiting' || last.state === 'running')) return false;
  const due = await nextLdapSyncAt(settings, last?.createdAt, now());
  if (due === undefined || due > now()) return false;
  await jobs.start({ kind: 'ldap-sync', params: {}, startedBy: 'schedule:ldap-sync' });
  return true;
}
