/**
 * The `AccountStore` contract (main/metadata/accounts.ts) as one suite every backend runs:
 * `describeAccountStore('LMDB', factory)`. It uses the interface only; the fixture adds what
 * other owners hold (repositories, sessions), since removals are checked against them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountStore, OrgRecord, UserRecord } from '../../main/metadata/accounts.js';

export interface AccountStoreFixture {
  store: AccountStore;
  /** Creates repository `name` as the registry owner does (account removal checks for it). */
  addRepository(name: string): Promise<void>;
  /** Gives `user` a web session and a refresh token as the sessions owner does. */
  addCredentials(user: string): Promise<void>;
  /** How many sessions and refresh tokens `user` holds. */
  credentialsOf(user: string): Promise<number>;
  /** Releases whatever the factory created (temp dirs, databases). */
  cleanup(): Promise<void>;
}

const user = (name: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  name,
  id: `id-${name}`,
  passwordHash: `hash-${name}`,
  isAdmin: false,
  isActive: true,
  createdAt: 1_700_000_000_000,
  settings: {},
  ...extra,
});
const org = (name: string, extra: Partial<OrgRecord> = {}): OrgRecord => ({
  name,
  createdAt: 1_700_000_000_000,
  settings: {},
  ...extra,
});
const team = (name: string) => ({ name, createdAt: 1_700_000_000_000 });

export function describeAccountStore(name: string, factory: () => Promise<AccountStoreFixture>): void {
  describe(`AccountStore on ${name}`, () => {
    let fixture: AccountStoreFixture;
    let store: AccountStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** alice (admin) and bob; org acme with bob as a plain member of team devs, granted read on acme/app. */
    async function seed(): Promise<void> {
      expect(await store.createUser(user('alice', { isAdmin: true, fullName: 'Alice' }))).toBe('created');
      expect(await store.createUser(user('bob'))).toBe('created');
      expect(await store.createOrg(org('acme', { fullName: 'Acme' }))).toBe('created');
      expect(await store.createTeam('acme', team('devs'))).toBe('created');
      expect(await store.addTeamMember('acme', 'devs', 'bob')).toBe('done');
      expect(await store.setTeamAccess('acme', 'devs', { repository: 'acme/app', accessLevel: 'read' })).toBe('done');
    }

    describe('users', () => {
      it('stores a user and reads it back, listed and counted in name order', async () => {
        await store.createUser(user('carol', { fullName: 'Carol', settings: { defaultContentCache: 'eu' } }));
        await store.createUser(user('bob', { isAdmin: true }));
        expect(await store.getUser('carol')).toEqual(
          user('carol', { fullName: 'Carol', settings: { defaultContentCache: 'eu' } }),
        );
        expect((await store.listUsers()).map((u) => u.name)).toEqual(['bob', 'carol']);
        expect(await store.countUsers()).toBe(2);
        expect(await store.getUser('nobody')).toBeUndefined();
        expect(await store.getUser('x'.repeat(5000))).toBeUndefined();
      });

      it('refuses a name a user or an organization has, and keeps the first', async () => {
        await seed();
        expect(await store.createUser(user('bob', { passwordHash: 'other' }))).toBe('name-taken');
        expect(await store.createUser(user('acme'))).toBe('name-taken');
        expect(await store.createOrg(org('alice'))).toBe('name-taken');
        expect((await store.getUser('bob'))?.passwordHash).toBe('hash-bob');
        expect(await store.getUser('acme')).toBeUndefined();
        expect(await store.getOrg('alice')).toBeUndefined();
      });

      it('lets exactly one of two creations of the same name at once win', async () => {
        const results = await Promise.all([store.createUser(user('dup')), store.createOrg(org('dup'))]);
        expect(results.filter((r) => r === 'created')).toHaveLength(1);
        expect([await store.getUser('dup'), await store.getOrg('dup')].filter(Boolean)).toHaveLength(1);
      });

      it('changes what it is asked to and keeps the name and the id', async () => {
        await seed();
        const result = await store.updateUser('bob', { fullName: 'Bob', passwordHash: 'new', isActive: false });
        expect(result).toEqual({
          outcome: 'updated',
          user: user('bob', { fullName: 'Bob', passwordHash: 'new', isActive: false }),
        });
        expect(await store.getUser('bob')).toEqual(
          user('bob', { fullName: 'Bob', passwordHash: 'new', isActive: false }),
        );
        expect(await store.updateUser('nobody', { fullName: 'x' })).toEqual({ outcome: 'not-found' });
      });

      it('refuses to leave no active administrator when guarded, and changes nothing', async () => {
        await seed();
        const guard = { keepAnActiveAdmin: true };
        expect(await store.updateUser('alice', { isAdmin: false }, guard)).toEqual({ outcome: 'last-admin' });
        expect(await store.updateUser('alice', { isActive: false }, guard)).toEqual({ outcome: 'last-admin' });
        expect(await store.removeUser('alice', guard)).toEqual({ outcome: 'last-admin' });
        expect(await store.getUser('alice')).toMatchObject({ isAdmin: true, isActive: true });
        // An inactive administrator runs nothing: it does not count.
        await store.createUser(user('root', { isAdmin: true, isActive: false }));
        expect(await store.updateUser('alice', { isAdmin: false }, guard)).toEqual({ outcome: 'last-admin' });
        await store.updateUser('root', { isActive: true });
        expect(await store.updateUser('alice', { isAdmin: false }, guard)).toMatchObject({ outcome: 'updated' });
        expect(await store.updateUser('bob', { fullName: 'Bob' }, guard)).toMatchObject({ outcome: 'updated' });
      });

      it('lets an unguarded change remove the last administrator (the operator CLI)', async () => {
        await seed();
        expect(await store.updateUser('alice', { isAdmin: false })).toMatchObject({ outcome: 'updated' });
        expect(await store.removeUser('alice')).toEqual({ outcome: 'removed' });
      });
    });

    describe('removeUser', () => {
      it('removes the user, its memberships and its credentials, and nobody else’s', async () => {
        await seed();
        await store.setOrgMember('acme', 'alice', true);
        await fixture.addCredentials('bob');
        await fixture.addCredentials('alice');
        expect(await store.removeUser('bob')).toEqual({ outcome: 'removed' });
        expect(await store.getUser('bob')).toBeUndefined();
        expect(await store.listOrgMembers('acme')).toEqual([{ user: 'alice', isAdmin: true }]);
        expect(await store.listTeamMembers('acme', 'devs')).toEqual([]);
        expect(await fixture.credentialsOf('bob')).toBe(0);
        expect(await fixture.credentialsOf('alice')).toBe(2);
        // A later account of the name inherits nothing.
        await store.createUser(user('bob'));
        expect(await store.orgsOf('bob')).toEqual([]);
        expect(await store.namespaceAccess('acme', 'bob', 'acme/app')).toEqual({
          isOrg: true,
          orgAdmin: false,
          teamLevels: [],
        });
      });

      it('refuses while the namespace has repositories, and removes nothing', async () => {
        await seed();
        await fixture.addCredentials('bob');
        await fixture.addRepository('bob/one');
        await fixture.addRepository('bob/two');
        expect(await store.removeUser('bob')).toEqual({ outcome: 'has-repositories', count: 2 });
        expect(await store.getUser('bob')).toBeDefined();
        expect(await store.listTeamMembers('acme', 'devs')).toEqual(['bob']);
        expect(await fixture.credentialsOf('bob')).toBe(2);
      });

      it('counts only the namespace itself, not names that start alike', async () => {
        await seed();
        await fixture.addRepository('bobby/app');
        await fixture.addRepository('bob-2/app');
        await fixture.addRepository('bob.x/app');
        expect(await store.removeUser('bob')).toEqual({ outcome: 'removed' });
      });

      it('answers not-found for no such user', async () => {
        expect(await store.removeUser('nobody')).toEqual({ outcome: 'not-found' });
      });
    });

    describe('organizations', () => {
      it('stores, lists, counts and renames organizations', async () => {
        await store.createOrg(org('zeta'));
        await store.createOrg(org('acme', { fullName: 'Acme' }));
        expect((await store.listOrgs()).map((o) => o.name)).toEqual(['acme', 'zeta']);
        expect(await store.countOrgs()).toBe(2);
        expect(await store.updateOrg('acme', { fullName: 'Acme Inc.' })).toEqual(
          org('acme', { fullName: 'Acme Inc.' }),
        );
        expect(await store.getOrg('acme')).toEqual(org('acme', { fullName: 'Acme Inc.' }));
        expect(await store.updateOrg('nobody', { fullName: 'x' })).toBeUndefined();
        expect(await store.getOrg('nobody')).toBeUndefined();
      });

      it('removes an organization with its members, teams, team members and grants', async () => {
        await seed();
        await store.setOrgMember('acme', 'alice', true);
        expect(await store.removeOrg('acme')).toEqual({ outcome: 'removed' });
        expect(await store.getOrg('acme')).toBeUndefined();
        expect(await store.orgsOf('bob')).toEqual([]);
        expect(await store.orgsOf('alice')).toEqual([]);
        // Created again, the name starts empty.
        await store.createOrg(org('acme'));
        expect(await store.listOrgMembers('acme')).toEqual([]);
        expect(await store.listTeams('acme')).toEqual([]);
        expect(await store.listTeamMembers('acme', 'devs')).toEqual([]);
        expect(await store.listTeamAccess('acme', 'devs')).toEqual([]);
      });

      it('refuses to remove one whose namespace has repositories', async () => {
        await seed();
        await fixture.addRepository('acme/app');
        expect(await store.removeOrg('acme')).toEqual({ outcome: 'has-repositories', count: 1 });
        expect(await store.listTeamAccess('acme', 'devs')).toHaveLength(1);
        expect(await store.removeOrg('nobody')).toEqual({ outcome: 'not-found' });
      });
    });

    describe('settings and cache preferences', () => {
      it('merges settings of users and organizations, and has none for no account', async () => {
        await seed();
        expect(await store.getSettings('bob')).toEqual({});
        expect(await store.updateSettings('bob', { defaultContentCache: 'eu' })).toEqual({ defaultContentCache: 'eu' });
        expect(await store.updateSettings('acme', { defaultContentCache: 'asia' })).toEqual({
          defaultContentCache: 'asia',
        });
        expect(await store.getSettings('bob')).toEqual({ defaultContentCache: 'eu' });
        expect(await store.getSettings('acme')).toEqual({ defaultContentCache: 'asia' });
        expect(await store.getUser('bob')).toMatchObject({ passwordHash: 'hash-bob', id: 'id-bob' });
        expect(await store.getSettings('nobody')).toBeUndefined();
        expect(await store.updateSettings('nobody', { defaultContentCache: 'eu' })).toBeUndefined();
      });

      it("gives the user's choice and their organizations' defaults in name order", async () => {
        await seed();
        await store.createOrg(org('beta', { settings: { defaultContentCache: 'eu' } }));
        await store.setOrgMember('beta', 'bob', false);
        await store.updateSettings('acme', { defaultContentCache: 'asia' });
        expect(await store.cachePreferences('bob')).toEqual({
          organizations: [
            { name: 'acme', cache: 'asia' },
            { name: 'beta', cache: 'eu' },
          ],
        });
        await store.updateSettings('bob', { defaultContentCache: 'us' });
        await store.updateSettings('acme', { defaultContentCache: '' });
        expect(await store.cachePreferences('bob')).toEqual({
          user: 'us',
          organizations: [{ name: 'acme' }, { name: 'beta', cache: 'eu' }],
        });
        expect(await store.cachePreferences('nobody')).toEqual({ organizations: [] });
      });
    });

    describe('organization members', () => {
      it('adds, changes, lists and finds members', async () => {
        await seed();
        expect(await store.setOrgMember('acme', 'alice', false)).toBe('done');
        expect(await store.setOrgMember('acme', 'alice', true)).toBe('done');
        expect(await store.getOrgMember('acme', 'alice')).toEqual({ user: 'alice', isAdmin: true });
        expect(await store.listOrgMembers('acme')).toEqual([
          { user: 'alice', isAdmin: true },
          { user: 'bob', isAdmin: false },
        ]);
        expect(await store.getOrgMember('acme', 'nobody')).toBeUndefined();
        expect(await store.orgsOf('alice')).toEqual(['acme']);
      });

      it('refuses members of no organization and organizations of no user', async () => {
        await seed();
        expect(await store.setOrgMember('nope', 'bob', false)).toBe('no-org');
        expect(await store.setOrgMember('acme', 'nobody', false)).toBe('no-user');
        expect(await store.listOrgMembers('nope')).toEqual([]);
      });

      it('removes a member with its team memberships in that organization only', async () => {
        await seed();
        await store.createOrg(org('beta'));
        await store.createTeam('beta', team('devs'));
        await store.addTeamMember('beta', 'devs', 'bob');
        expect(await store.removeOrgMember('acme', 'bob')).toBe(true);
        expect(await store.listTeamMembers('acme', 'devs')).toEqual([]);
        expect(await store.listTeamMembers('beta', 'devs')).toEqual(['bob']);
        expect(await store.removeOrgMember('acme', 'bob')).toBe(false);
      });
    });

    describe('teams, team members and grants', () => {
      it('creates teams once per organization, lists them and removes them with members and grants', async () => {
        await seed();
        expect(await store.createTeam('acme', team('devs'))).toBe('name-taken');
        expect(await store.createTeam('nope', team('devs'))).toBe('no-org');
        await store.createTeam('acme', { ...team('ops'), description: 'on call' });
        expect(await store.listTeams('acme')).toEqual([team('devs'), { ...team('ops'), description: 'on call' }]);
        expect(await store.getTeam('acme', 'ops')).toEqual({ ...team('ops'), description: 'on call' });
        expect(await store.removeTeam('acme', 'devs')).toBe(true);
        expect(await store.removeTeam('acme', 'devs')).toBe(false);
        expect(await store.getTeam('acme', 'devs')).toBeUndefined();
        await store.createTeam('acme', team('devs'));
        expect(await store.listTeamMembers('acme', 'devs')).toEqual([]);
        expect(await store.listTeamAccess('acme', 'devs')).toEqual([]);
        // Bob stays in the organization: only the team went.
        expect(await store.getOrgMember('acme', 'bob')).toEqual({ user: 'bob', isAdmin: false });
      });

      it('renames a team with its members and grants, and changes or removes its description', async () => {
        await seed();
        await store.createTeam('acme', team('ops'));
        expect(await store.updateTeam('acme', 'devs', { name: 'ops' })).toBe('name-taken');
        expect(await store.updateTeam('acme', 'nope', { name: 'x' })).toBe('no-team');
        expect(await store.updateTeam('acme', 'devs', { name: 'builders', description: 'CI' })).toBe('done');
        expect(await store.getTeam('acme', 'devs')).toBeUndefined();
        expect(await store.getTeam('acme', 'builders')).toEqual({ ...team('builders'), description: 'CI' });
        expect(await store.listTeamMembers('acme', 'builders')).toEqual(['bob']);
        expect(await store.listTeamAccess('acme', 'builders')).toEqual([
          { repository: 'acme/app', accessLevel: 'read' },
        ]);
        expect(await store.listTeamMembers('acme', 'devs')).toEqual([]);
        expect((await store.namespaceAccess('acme', 'bob', 'acme/app')).teamLevels).toEqual(['read']);
        expect(await store.updateTeam('acme', 'builders', { description: null })).toBe('done');
        expect(await store.getTeam('acme', 'builders')).toEqual(team('builders'));
        // A new team under the old name starts empty.
        await store.createTeam('acme', team('devs'));
        expect(await store.listTeamMembers('acme', 'devs')).toEqual([]);
      });

      it('adds a team member to the organization as a plain member, keeping an admin an admin', async () => {
        await seed();
        await store.setOrgMember('acme', 'alice', true);
        expect(await store.addTeamMember('acme', 'devs', 'alice')).toBe('done');
        expect(await store.getOrgMember('acme', 'alice')).toEqual({ user: 'alice', isAdmin: true });
        expect(await store.getOrgMember('acme', 'bob')).toEqual({ user: 'bob', isAdmin: false });
        expect(await store.listTeamMembers('acme', 'devs')).toEqual(['alice', 'bob']);
        expect(await store.isTeamMember('acme', 'devs', 'alice')).toBe(true);
        expect(await store.addTeamMember('acme', 'nope', 'bob')).toBe('no-team');
        expect(await store.addTeamMember('nope', 'devs', 'bob')).toBe('no-org');
        expect(await store.addTeamMember('acme', 'devs', 'nobody')).toBe('no-user');
        expect(await store.removeTeamMember('acme', 'devs', 'alice')).toBe(true);
        expect(await store.removeTeamMember('acme', 'devs', 'alice')).toBe(false);
        expect(await store.isTeamMember('acme', 'devs', 'alice')).toBe(false);
      });

      it('sets, changes, lists and removes grants', async () => {
        await seed();
        await store.setTeamAccess('acme', 'devs', { repository: 'acme/web', accessLevel: 'admin' });
        await store.setTeamAccess('acme', 'devs', { repository: 'acme/app', accessLevel: 'read-write' });
        expect(await store.listTeamAccess('acme', 'devs')).toEqual([
          { repository: 'acme/app', accessLevel: 'read-write' },
          { repository: 'acme/web', accessLevel: 'admin' },
        ]);
        expect(await store.getTeamAccess('acme', 'devs', 'acme/web')).toEqual({
          repository: 'acme/web',
          accessLevel: 'admin',
        });
        expect(await store.setTeamAccess('acme', 'nope', { repository: 'acme/app', accessLevel: 'read' })).toBe(
          'no-team',
        );
        expect(await store.removeTeamAccess('acme', 'devs', 'acme/web')).toBe(true);
        expect(await store.removeTeamAccess('acme', 'devs', 'acme/web')).toBe(false);
        expect(await store.getTeamAccess('acme', 'devs', 'acme/web')).toBeUndefined();
      });
    });

    describe('namespaceAccess and accountType', () => {
      it("answers what decides a user's rights in an organization's repository", async () => {
        await seed();
        await store.createTeam('acme', team('ops'));
        await store.addTeamMember('acme', 'ops', 'bob');
        await store.setTeamAccess('acme', 'ops', { repository: 'acme/app', accessLevel: 'admin' });
        await store.createTeam('acme', team('other'));
        await store.setTeamAccess('acme', 'other', { repository: 'acme/app', accessLevel: 'read-write' });
        const bob = await store.namespaceAccess('acme', 'bob', 'acme/app');
        expect({ ...bob, teamLevels: [...bob.teamLevels].sort() }).toEqual({
          isOrg: true,
          orgAdmin: false,
          teamLevels: ['admin', 'read'],
        });
        expect(await store.namespaceAccess('acme', 'bob', 'acme/web')).toEqual({
          isOrg: true,
          orgAdmin: false,
          teamLevels: [],
        });
        await store.setOrgMember('acme', 'alice', true);
        expect(await store.namespaceAccess('acme', 'alice', 'acme/app')).toEqual({
          isOrg: true,
          orgAdmin: true,
          teamLevels: [],
        });
        expect(await store.namespaceAccess('acme', undefined, 'acme/app')).toEqual({
          isOrg: true,
          orgAdmin: false,
          teamLevels: [],
        });
        expect(await store.namespaceAccess('bob', 'bob', 'bob/app')).toEqual({
          isOrg: false,
          orgAdmin: false,
          teamLevels: [],
        });
      });

      it('tells users, organizations and free names apart', async () => {
        await seed();
        expect(await store.accountType('bob')).toBe('user');
        expect(await store.accountType('acme')).toBe('organization');
        expect(await store.accountType('nobody')).toBeUndefined();
      });
    });
  });
}
