/**
 * The directory's periodic sync: main asks every minute (once per cluster) whether an `ldap-sync`
 * job is due, and starts one when the interval has passed since the last one was created, never
 * while one is waiting or running, and never with the directory off or the interval 0.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLdapSyncJob, startLdapSyncIfDue } from '../../../main/directory/ldap-sync.js';
import { createAccounts } from '../../../main/accounts/accounts.js';
import { createJobs, type Jobs } from '../../../main/jobs/jobs.js';
import { openMainEnvironment } from '../../../main/metadata/lmdb/environment.js';
import { createLmdbJobStore } from '../../../main/metadata/lmdb/jobs.js';
import { createLmdbSettingsStore } from '../../../main/metadata/lmdb/settings.js';
import { createLmdbAccountStore } from '../../../main/metadata/lmdb/accounts.js';
import { DEFAULT_LDAP_SETTINGS } from '../../../main/metadata/ldap-settings.js';
import type { SettingsStore } from '../../../main/metadata/settings.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const MINUTE = 60_000;
let temp: TempDir;
let db: ReturnType<typeof openMainEnvironment>;
let settings: SettingsStore;
let jobs: Jobs;
let clock: number;

beforeEach(async () => {
  temp = await createTempDir('outpost-ldap-trigger-');
  db = openMainEnvironment(join(temp.path, 'db'));
  settings = createLmdbSettingsStore(db.root);
  const accounts = createAccounts(createLmdbAccountStore(db.root), { revokeCredentials: async () => 0 });
  const kind = createLdapSyncJob({ accounts, settings });
  clock = Date.UTC(2026, 11, 1);
  jobs = createJobs({
    store: createLmdbJobStore(db.root),
    runner: { kinds: new Map([[kind.kind, kind]]), poke: () => {}, abortLocal: () => false },
    now: () => clock,
  });
});
afterEach(async () => {
  await db.close();
  await temp.remove();
});

const tick = () => startLdapSyncIfDue({ settings, jobs, now: () => clock });
const directory = (enabled: boolean, syncIntervalMinutes: number) =>
  settings.setLdapSettings({ ...DEFAULT_LDAP_SETTINGS, enabled, syncIntervalMinutes });

describe('the periodic directory sync', () => {
  it('starts nothing while the directory is off or its interval is 0', async () => {
    expect(await tick()).toBe(false);
    await directory(true, 0);
    expect(await tick()).toBe(false);
    expect(await jobs.list({ kind: 'ldap-sync', limit: 10 })).toEqual([]);
  });

  it('starts a sync at once, then once per interval, never beside one still waiting', async () => {
    await directory(true, 60);
    expect(await tick()).toBe(true);
    const [first] = await jobs.list({ kind: 'ldap-sync', limit: 10 });
    expect(first).toMatchObject({ kind: 'ldap-sync', state: 'waiting', startedBy: 'schedule:ldap-sync' });
    clock += 61 * MINUTE;
    expect(await tick()).toBe(false);
    await jobs.cancel(first!.id);
    clock += MINUTE;
    expect(await tick()).toBe(true);
    clock += 30 * MINUTE;
    await jobs.cancel((await jobs.list({ kind: 'ldap-sync', limit: 1 }))[0]!.id);
    expect(await tick()).toBe(false);
    expect(await jobs.list({ kind: 'ldap-sync', limit: 10 })).toHaveLength(2);
  });
});
