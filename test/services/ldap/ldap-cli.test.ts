/**
 * `outpost main ldap sync` and `outpost main ldap test [USERNAME]`, run in-process through mainCli on a data
 * directory whose directory settings point at a real OpenLDAP: the summary and report as JSON, exit statuses,
 * and no password in the output.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../../../main/accounts/accounts.js';
import { mergeLdapSettings } from '../../../main/directory/ldap-settings.js';
import { openMainData } from '../../../main/main-data.js';
import { defaultLdapSettings } from '../../../main/metadata/ldap-settings.js';
import { outpostLdapSettings, startSlapd, type TestSlapd } from '../../helpers/slapd.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { prepareTestBackend, type TestBackend } from '../../helpers/test-backend.js';
import { runMainCli } from '../../helpers/main-cli.js';

let slapd: TestSlapd;
let temp: TempDir;
let data: string;
let backend: TestBackend;

const openData = () => openMainData({ dataDir: data, ...backend.storage });

const cli = (args: string[]) => runMainCli(args, data, backend);

beforeAll(async () => {
  slapd = await startSlapd({
    users: [
      { uid: 'cli1', password: 'cli1-password' },
      { uid: 'cli2', password: 'cli2-password' },
    ],
    groups: [],
  });
  temp = await createTempDir('outpost-ldap-cli-');
  data = join(temp.path, 'data');
  backend = await prepareTestBackend(data);
  const { metadata, close } = await openData();
  try {
    await metadata.settings.setLdapSettings(mergeLdapSettings(defaultLdapSettings(), outpostLdapSettings(slapd)));
  } finally {
    await close();
  }
}, 60_000);

afterAll(async () => {
  await backend?.remove();
  await temp?.remove();
  await slapd?.remove();
});

describe('outpost main ldap', () => {
  it('test: prints the report, the user asked for included, and exits 0', async () => {
    const run = await cli(['ldap', 'test', 'cli2']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      ok: true,
      users: { count: 2 },
      user: { username: 'cli2', found: true },
    });
    expect(run.out + run.err).not.toContain(slapd.servicePassword);
  });

  it('sync: creates the directory users and prints the summary', async () => {
    const run = await cli(['ldap', 'sync']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ enabled: true, directoryUsers: 2, created: 2 });
    const { metadata, close } = await openData();
    try {
      const accounts = createAccounts(metadata.accounts, { revokeCredentials: metadata.revokeCredentials });
      expect(await accounts.getUser('cli1')).toMatchObject({ isActive: true, fromDirectory: true });
    } finally {
      await close();
    }
  });

  it('exits 1 with the reason when the directory is down', async () => {
    await slapd.stop();
    try {
      const sync = await cli(['ldap', 'sync']);
      expect(sync.code).toBe(1);
      expect(sync.err).toMatch(/outpost main ldap: the directory could not/);
      const test = await cli(['ldap', 'test']);
      expect(test.code).toBe(1);
      expect(JSON.parse(test.out)).toMatchObject({ ok: false, error: expect.stringMatching(/could not/) });
    } finally {
      await slapd.start();
    }
  });

  it('refuses bad usage with exit 2', async () => {
    expect((await cli(['ldap'])).code).toBe(2);
    expect((await cli(['ldap', 'sync', 'extra'])).code).toBe(2);
    expect((await cli(['ldap', 'test', 'a', 'b'])).code).toBe(2);
  });
});
