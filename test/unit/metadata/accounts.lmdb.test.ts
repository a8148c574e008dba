/** The `AccountStore` contract on LMDB, in a temporary metadata environment. */
import { join } from 'node:path';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { openAccountsDb } from '../../helpers/accounts-db.js';
import { createLmdbAccountStore } from '../../../main/metadata/lmdb/accounts.js';
import { openRegistryTables } from '../../../main/metadata/lmdb/registry-tables.js';
import { describeAccountStore } from '../../contract/accounts.js';
import { createTempDir } from '../../helpers/temp-dir.js';

describeAccountStore('LMDB', async () => {
  const temp = await createTempDir('outpost-account-store-');
  const db = openMainEnvironment(join(temp.path, 'db'));
  // The registry's and the sessions' sub-databases, written as their owners write them.
  const others = openAccountsDb(db.root);
  let sequence = 0;
  return {
    store: createLmdbAccountStore(db.root),
    addRepository: async (name) =>
      void (await openRegistryTables(db.root).repositories.put(name, { createdAt: Date.now() })),
    async addCredentials(user) {
      sequence++;
      await others.sessions.put(`s${sequence}`, { user, csrfToken: 'c', expiresAt: Date.now() + 60_000 });
      await others.refreshTokens.put(`r${sequence}`, { user, expiresAt: Date.now() + 60_000 });
    },
    async credentialsOf(user) {
      const sessions = [...others.sessions.getRange()].filter(({ value }) => value.user === user);
      const tokens = [...others.refreshTokens.getRange()].filter(({ value }) => value.user === user);
      return sessions.length + tokens.length;
    },
    async cleanup() {
      await db.close();
      await temp.remove();
    },
  };
});
