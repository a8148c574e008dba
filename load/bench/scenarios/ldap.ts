/**
 * @module ldap: how long `outpost main ldap sync` (the "ldap-sync" job, run once by the CLI) takes for a
 * directory of N users (default 1,000) with one linked team holding all of them through a nested group:
 * the first sync (every account created, the team filled) and a repeat sync (nothing to change). The peer
 * is `ldapsearch` reading what the sync must read (the users, paged, and the two groups): the directory's
 * own floor, so the ratio is outpost's cost over just asking the directory.
 *
 * Each repetition starts from a copy of the same configured, empty data directory (made once by
 * `outpost main` and its API); the CLI's figures include starting node and opening the data directory.
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../command.js';
import { startOutpostMain } from '../processes.js';
import { numberParam, SampleTable, type Scenario, type ScenarioContext } from '../scenario.js';
import { GROUPS_DN, LDAPSEARCH, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, SLAPD, startSlapd } from '../slapd.js';

const OUTPOST = 'outpost main ldap sync';
const PEER = 'ldapsearch (the reads only)';
const ADMIN_PASSWORD = 'bench-admin-password-not-a-secret';

function directoryEntries(users: number): string {
  const out: string[] = [];
  const dns: string[] = [];
  for (let i = 0; i < users; i++) {
    const uid = `user${i}`;
    dns.push(`uid=${uid},${PEOPLE_DN}`);
    out.push(
      `dn: uid=${uid},${PEOPLE_DN}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: User ${i}\nsn: ${i}\n` +
        `mail: ${uid}@bench.test\nuserPassword: pw-${i}\n`,
    );
  }
  // Half the users directly in "everyone", the other half through the nested group "half".
  const half = Math.floor(users / 2);
  out.push(
    `dn: cn=half,${GROUPS_DN}\nobjectClass: groupOfNames\ncn: half\n${dns
      .slice(half)
      .map((d) => `member: ${d}\n`)
      .join('')}`,
  );
  out.push(
    `dn: cn=everyone,${GROUPS_DN}\nobjectClass: groupOfNames\ncn: everyone\n` +
      `${[...dns.slice(0, half), `cn=half,${GROUPS_DN}`].map((d) => `member: ${d}\n`).join('')}`,
  );
  return `${out.join('\n')}\n`;
}

async function api(base: string, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}/api/v0${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
}

/** A data directory with the directory settings and the linked team, made by main itself; main stopped after. */
async function configuredDataDir(ctx: ScenarioContext, dir: string, ldapUrl: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const main = await startOutpostMain({
    dataDir: dir,
    bin: ctx.outpostBin,
    cleanup: ctx.cleanup,
    env: { OUTPOST_MAIN_AUTH__ENABLED: 'true', OUTPOST_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  await api(main.url, 'POST', '/accounts', { type: 'organization', name: 'acme' });
  await api(main.url, 'POST', '/accounts/acme/teams', { name: 'everyone' });
  await api(main.url, 'POST', '/meta/settings', {
    ldap: {
      enabled: true,
      url: ldapUrl,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      userSearchBase: PEOPLE_DN,
      userFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
      teamLinks: [{ org: 'acme', team: 'everyone', groupDn: `cn=everyone,${GROUPS_DN}`, nested: true }],
    },
  });
  await main.stop();
}

async function timed(run: () => Promise<string>): Promise<{ seconds: number; output: string }> {
  const start = process.hrtime.bigint();
  const output = await run();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, output };
}

export const ldap: Scenario = {
  name: 'ldap',
  title: 'directory sync time for N users (first sync and a repeat), next to ldapsearch reading the same entries',
  requires: [SLAPD, LDAPSEARCH],
  params: { users: 'directory users (default 1000)' },

  async run(ctx) {
    const users = numberParam(ctx.params, 'users', 1000);
    await mkdir(ctx.workDir, { recursive: true });
    ctx.log(`starting slapd with ${users} users`);
    const slapd = await startSlapd(join(ctx.workDir, 'slapd'), directoryEntries(users), ctx.cleanup);
    const template = join(ctx.workDir, 'template');
    await configuredDataDir(ctx, template, slapd.url);

    const table = new SampleTable([OUTPOST, PEER]);
    const first = `first sync, ${users} users created (s)`;
    const repeat = `repeat sync, nothing to change (s)`;
    const fixed = 'outpost CLI start and stop alone: main user list (s)';
    table.declare(first);
    table.declare(repeat);
    table.declare(fixed);
    const sync = (dataDir: string) =>
      timed(() =>
        runCommand(process.execPath, [ctx.outpostBin, 'main', 'ldap', 'sync', '--data', dataDir], {
          timeoutMs: 600_000,
          signal: ctx.signal,
          cleanup: ctx.cleanup,
        }),
      );
    const search = (base: string, filter: string, attrs: string[]) =>
      runCommand(
        'ldapsearch',
        ['-x', '-LLL', '-H', slapd.url, '-D', SERVICE_DN, '-w', SERVICE_PASSWORD, '-E', 'pr=500/noprompt'].concat([
          '-b',
          base,
          filter,
          ...attrs,
        ]),
        { timeoutMs: 120_000, signal: ctx.signal, cleanup: ctx.cleanup },
      );
    const reads = () =>
      timed(async () => {
        const people = await search(PEOPLE_DN, '(&(objectClass=inetOrgPerson)(uid=*))', ['uid', 'cn', 'mail']);
        await search(GROUPS_DN, '(objectClass=groupOfNames)', ['member']);
        return people;
      });

    for (let rep = 0; rep < ctx.reps; rep++) {
      ctx.signal.throwIfAborted();
      const dataDir = join(ctx.workDir, `data-${rep}`);
      await cp(template, dataDir, { recursive: true });
      const once = await sync(dataDir);
      if (!once.output.includes(`"created":${users}`)) throw new Error(`unexpected first sync:\n${once.output}`);
      table.record(first, OUTPOST, once.seconds);
      table.record(first, PEER, (await reads()).seconds);
      const again = await sync(dataDir);
      if (!again.output.includes('"created":0')) throw new Error(`unexpected repeat sync:\n${again.output}`);
      table.record(repeat, OUTPOST, again.seconds);
      table.record(repeat, PEER, (await reads()).seconds);
      const list = await timed(() =>
        runCommand(process.execPath, [ctx.outpostBin, 'main', 'user', 'list', '--data', dataDir], {
          timeoutMs: 120_000,
          signal: ctx.signal,
          cleanup: ctx.cleanup,
        }),
      );
      table.record(fixed, OUTPOST, list.seconds);
      await rm(dataDir, { recursive: true, force: true });
    }
    await slapd.stop();
    return {
      peers: [OUTPOST, PEER],
      metrics: table.metrics(),
      params: { users },
      notes: [
        `The directory: ${users} inetOrgPerson users; the linked team acme/everyone is the group "everyone" ` +
          'holding half the users directly and the other half through the nested group "half".',
        'outpost: `node dist/bin/outpost.js main ldap sync --data <copy>` on the embedded store (LMDB), from ' +
          'process start to exit: node start, opening the data directory, the paged search, one account ' +
          'written per new user, the groups expanded, team members written.',
        'The CLI start and stop row is the fixed cost inside both sync rows (node, opening and closing the ' +
          'data directory): the sync work itself is the difference.',
        'ldapsearch: the same users (paged, 500 per page) and the groups, printed as LDIF: what the sync must read.',
      ],
    };
  },
};
