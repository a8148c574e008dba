/**
 * @module A private OpenLDAP server for the `ldap` scenario (the logic of test/helpers/slapd.ts, which
 * load/ may not import): Debian's `slapd` from a generated slapd.conf, mdb backend, Debian's schemas, on a
 * free loopback port, entries loaded by `slapadd` before it starts. 200 entries per plain search, unlimited
 * with the paged-results control, as a real directory. Stopped by the run's `Cleanup`.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cleanup } from './cleanup.js';
import { freePort, spawnServer, type Requirement } from './processes.js';

export const SLAPD: Requirement = { binary: 'slapd', debianPackage: 'slapd' };
export const LDAPSEARCH: Requirement = { binary: 'ldapsearch', debianPackage: 'ldap-utils' };

export const BASE_DN = 'dc=outpost,dc=bench';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const SERVICE_DN = `cn=outpost,${BASE_DN}`;
// Not secrets: a throwaway directory in the run's temporary directory.
export const SERVICE_PASSWORD = 'bench-service-password';
const ADMIN_PASSWORD = 'bench-admin-password';

const run = promisify(execFile);

export interface BenchSlapd {
  readonly url: string;
  stop(): Promise<void>;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** `entries` is LDIF for everything under ou=people and ou=groups (the base entries are added here). */
export async function startSlapd(dir: string, entries: string, cleanup: Cleanup): Promise<BenchSlapd> {
  await mkdir(join(dir, 'db'), { recursive: true });
  const conf = join(dir, 'slapd.conf');
  await writeFile(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      `pidfile ${dir}/slapd.pid`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      'maxsize 1073741824',
      `suffix "${BASE_DN}"`,
      `rootdn "cn=admin,${BASE_DN}"`,
      `rootpw ${ADMIN_PASSWORD}`,
      `directory ${dir}/db`,
      'index objectClass eq',
      'index uid,cn,member eq',
      'limits * size=200 size.pr=unlimited size.prtotal=unlimited',
      '',
    ].join('\n'),
  );
  const base =
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: outpost\no: bench\n\n` +
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n\n` +
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n\n` +
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: outpost\n` +
    `userPassword: ${SERVICE_PASSWORD}\n\n`;
  await writeFile(join(dir, 'init.ldif'), base + entries);
  await run('/usr/sbin/slapadd', ['-q', '-f', conf, '-l', join(dir, 'init.ldif')], { maxBuffer: 1 << 20 });
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const server = await spawnServer({
    name: 'slapd',
    command: '/usr/sbin/slapd',
    // -d 0: in the foreground, so the run owns (and stops) the process.
    args: ['-d', '0', '-f', conf, '-h', `${url}/`],
    cleanup,
    ready: async () => ((await accepts(port)) ? `http://127.0.0.1:${port}` : undefined),
  });
  return { url, stop: () => server.stop() };
}
