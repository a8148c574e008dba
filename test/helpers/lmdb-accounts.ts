/** Accounts over the LMDB owners of a metadata environment, as main/service.ts builds them. */
import { createAccounts, type Accounts } from '../../main/accounts/accounts.js';
import { createLmdbAccountStore, lmdbCredentialRevoker } from '../../main/metadata/lmdb/accounts.js';
import type { RootDatabase } from '../../src/store/lmdb.js';

export function lmdbAccounts(root: RootDatabase, now?: () => number): Accounts {
  return createAccounts(createLmdbAccountStore(root), {
    revokeCredentials: lmdbCredentialRevoker(root),
    ...(now && { now }),
  });
}
