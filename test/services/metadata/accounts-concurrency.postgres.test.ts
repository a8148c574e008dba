/**
 * What one LMDB writer guaranteed, held on PostgreSQL by two replicas at once: each replica is
 * its own pool (its own connections), and each race runs a bounded number of rounds.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountStore, UserRecord } from '../../../main/metadata/accounts.js';
import { lockNamespaceAccount, removeRepositoryGrants } from '../../../main/metadata/postgres/accounts-rows.js';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { BackendUnavailableError } from '../../../src/store/errors.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { migrate, postgresAccountStore } from '../../helpers/postgres-accounts.js';

const ROUNDS = 20;

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

const user = (name: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  name,
  id: `id-${name}`,
  passwordHash: 'hash',
  isAdmin: false,
  isActive: true,
  createdAt: 1_700_000_000_000,
  settings: {},
  ...extra,
});

describe('two replicas on one PostgreSQL', () => {
  let one: PostgresDatabase;
  let two: PostgresDatabase;
  let a: AccountStore;
  let b: AccountStore;

  beforeEach(async () => {
    const url = await server.createDatabase();
    await migrate(url);
    one = await PostgresDatabase.connect(url, { maxConnections: 4 });
    two = await PostgresDatabase.connect(url, { maxConnections: 4 });
    a = postgresAccountStore(one);
    b = postgresAccountStore(two);
  });
  afterEach(async () => {
    await Promise.all([one.close(), two.close()]);
  });

  it('creating the same name at once: exactly one wins, as a user or as an organization', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `name${round}`;
      const asOrg = round % 2 === 0;
      const results = await Promise.all([
        a.createUser(user(name, { id: `a-${round}` })),
        asOrg ? b.createOrg({ name, createdAt: 1, settings: {} }) : b.createUser(user(name, { id: `b-${round}` })),
      ]);
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      const kind = await a.accountType(name);
      if (results[0] === 'created') expect(kind).toBe('user');
      else expect(kind).toBe(asOrg ? 'organization' : 'user');
      if (results[0] !== 'created' && !asOrg) expect((await a.getUser(name))?.id).toBe(`b-${round}`);
    }
    expect((await a.countUsers()) + (await a.countOrgs())).toBe(ROUNDS);
  });

  it('demoting two administrators at once: one is refused, so one active administrator is left', async () => {
    const guard = { keepAnActiveAdmin: true };
    await a.createUser(user('alice', { isAdmin: true }));
    await a.createUser(user('bob', { isAdmin: true }));
    for (let round = 0; round < ROUNDS; round++) {
      const [first, second] = await Promise.all([
        round % 2 === 0
          ? a.updateUser('alice', { isAdmin: false }, guard)
          : a.updateUser('alice', { isActive: false }, guard),
        round % 3 === 0 ? b.removeUser('bob', guard) : b.updateUser('bob', { isAdmin: false }, guard),
      ]);
      expect([first.outcome, second.outcome].filter((o) => o === 'last-admin')).toHaveLength(1);
      const admins = (await a.listUsers()).filter((u) => u.isAdmin && u.isActive);
      expect(admins).toHaveLength(1);
      // Back to two administrators for the next round.
      if (!(await a.getUser('bob'))) await a.createUser(user('bob', { isAdmin: true, id: `bob-${round}` }));
      await a.updateUser('alice', { isAdmin: true, isActive: true });
      await a.updateUser('bob', { isAdmin: true, isActive: true });
    }
  });

  it('removing an account while a push creates a repository in its namespace: never both', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `owner${round}`;
      await a.createUser(user(name, { id: `owner-${round}` }));
      // The registry owner's repository creation: lock the namespace's account, then insert.
      const push = two.transaction(async (tx) => {
        if (!(await lockNamespaceAccount(tx, name))) return false;
        await tx.query('INSERT INTO standin_repositories (name) VALUES ($1)', [`${name}/app`]);
        return true;
      });
      const [removal, pushed] = await Promise.all([a.removeUser(name), push]);
      const exists = (await a.getUser(name)) !== undefined;
      if (pushed) {
        expect(removal).toEqual({ outcome: 'has-repositories', count: 1 });
        expect(exists).toBe(true);
      } else {
        expect(removal).toEqual({ outcome: 'removed' });
        expect(exists).toBe(false);
      }
    }
  });

  it('keeps a user id and creation time whatever an UPDATE tries', async () => {
    await a.createUser(user('carol'));
    const error = await one.query("UPDATE users SET id = 'forged' WHERE name = 'carol'").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23000' });
    await expect(one.query('UPDATE users SET created_at = 5 WHERE name = $1', ['carol'])).rejects.toMatchObject({
      code: '23000',
    });
    expect(await a.getUser('carol')).toEqual(user('carol'));
    expect(await a.updateUser('carol', { passwordHash: 'changed' })).toMatchObject({ outcome: 'updated' });
    expect((await a.getUser('carol'))?.id).toBe('id-carol');
  });

  it('answers 503-mapped unavailability while PostgreSQL is down, and works again once it is back', async () => {
    await a.createUser(user('dave'));
    server.stopServer();
    try {
      await expect(a.getUser('dave')).rejects.toBeInstanceOf(BackendUnavailableError);
      await expect(a.createUser(user('erin'))).rejects.toBeInstanceOf(BackendUnavailableError);
    } finally {
      server.startServer();
    }
    expect((await a.getUser('dave'))?.name).toBe('dave');
    expect(await a.getUser('erin')).toBeUndefined();
  });
});

describe('cooperation with the registry owner', () => {
  it("removes the teams' grants on a deleted repository, inside the deleting transaction", async () => {
    const url = await server.createDatabase();
    await migrate(url);
    const db = await PostgresDatabase.connect(url, { maxConnections: 2 });
    try {
      const store = postgresAccountStore(db);
      await store.createOrg({ name: 'acme', createdAt: 1, settings: {} });
      await store.createTeam('acme', { name: 'devs', createdAt: 1 });
      await store.setTeamAccess('acme', 'devs', { repository: 'acme/app', accessLevel: 'read' });
      await store.setTeamAccess('acme', 'devs', { repository: 'acme/web', accessLevel: 'admin' });
      const failed = await db
        .transaction(async (tx) => {
          await removeRepositoryGrants(tx, 'acme/app');
          throw new Error('the repository delete failed');
        })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      expect(await store.listTeamAccess('acme', 'devs')).toHaveLength(2);
      expect(await db.transaction((tx) => removeRepositoryGrants(tx, 'acme/app'))).toBe(1);
      expect(await store.listTeamAccess('acme', 'devs')).toEqual([{ repository: 'acme/web', accessLevel: 'admin' }]);
    } finally {
      await db.close();
    }
  });
});
