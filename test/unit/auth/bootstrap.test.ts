/** First start: the bootstrap administrator, also when several replicas start at once. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openMainEnvironment, type MainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { bootstrapAdmin } from '../../../main/auth/bootstrap.js';
import { silentLogger } from '../../../src/log/logger.js';
import { lmdbAccounts } from '../../helpers/lmdb-accounts.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

let temp: TempDir;
let db: MainEnvironment;

beforeEach(async () => {
  temp = await createTempDir('outpost-bootstrap-');
  db = openMainEnvironment(join(temp.path, 'db'));
});
afterEach(async () => {
  await db.close();
  await temp.remove();
});

describe('bootstrapAdmin', () => {
  it('creates admin with a generated password shown once, and nothing on the next start', async () => {
    const accounts = lmdbAccounts(db.root);
    const first = await bootstrapAdmin(accounts, silentLogger, undefined);
    expect(first.generatedPassword).toMatch(/^[\w-]{24}$/);
    expect(await accounts.authenticate('admin', first.generatedPassword!)).toMatchObject({ isAdmin: true });
    expect(await bootstrapAdmin(accounts, silentLogger, undefined)).toEqual({});
  });

  it('lets one of two replicas starting at once create admin, and the other start without a password', async () => {
    const results = await Promise.all([
      bootstrapAdmin(lmdbAccounts(db.root), silentLogger, 'first-replica-pw'),
      bootstrapAdmin(lmdbAccounts(db.root), silentLogger, undefined),
    ]);
    expect(results.filter((r) => r.generatedPassword !== undefined).length).toBeLessThanOrEqual(1);
    const accounts = lmdbAccounts(db.root);
    expect(await accounts.userCount()).toBe(1);
    const signIn = results[1]!.generatedPassword ?? 'first-replica-pw';
    expect(await accounts.authenticate('admin', signIn)).toMatchObject({ name: 'admin', isAdmin: true });
  });
});
