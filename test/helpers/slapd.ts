/**
 * A private OpenLDAP server for the directory tests (test/services/ldap/): Debian's `slapd`, run in a
 * temporary directory from a generated slapd.conf (`-f`), mdb backend, the core, cosine, inetorgperson and
 * nis schemas from /etc/ldap/schema, listening on free loopback ports, plain (ldap://, StartTLS offered) and
 * LDAPS, with a self-signed certificate made by openssl for 127.0.0.1. The initial entries are loaded with
 * `slapadd` before the server starts (fast for thousands of users); tests change entries over LDAP as the
 * admin. Without the package the suite fails with the reason, never skips.
 *
 * Size limits are those of a real directory: 200 entries per plain search, unlimited with the paged-results
 * control (RFC 2696), so a client that does not page sees `sizeLimitExceeded` past 200 users.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { createTempDir, type TempDir } from './temp-dir.js';
import { connect } from 'node:net';
import { freePort } from './nginx.js';
import { waitFor } from './wait-for.js';

export const BASE_DN = 'dc=outpost,dc=test';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
/** A read-only account outpost searches with (not the rootdn, which no limit applies to). */
export const SERVICE_DN = `cn=outpost,${BASE_DN}`;

export interface DirectoryUser {
  uid: string;
  password: string;
  mail?: string;
  cn?: string;
  /** Extra attributes, e.g. `{ employeeType: 'disabled' }`. */
  attributes?: Record<string, string>;
}

export interface DirectoryGroup {
  cn: string;
  /** Full DNs: users (`userDn(uid)`) or other groups (`groupDn(cn)`). */
  members: string[];
}

export interface TestSlapd {
  /** ldap://127.0.0.1:<port> (StartTLS offered). */
  readonly url: string;
  /** ldaps://127.0.0.1:<port>. */
  readonly ldapsUrl: string;
  /** The self-signed certificate the server presents (PEM). */
  readonly caPem: string;
  readonly adminPassword: string;
  readonly servicePassword: string;
  /** A client bound as the admin; the caller unbinds it. */
  admin(): Promise<Client>;
  /** Stops the server, keeping its data (to test what happens while it is down). */
  stop(): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
  /** Stops it and removes everything it wrote. */
  remove(): Promise<void>;
}

export const userDn = (uid: string) => `uid=${uid},${PEOPLE_DN}`;
export const groupDn = (cn: string) => `cn=${cn},${GROUPS_DN}`;

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const waitForPort = (port: number, limitMs: number) => waitFor(() => accepts(port), `slapd on port ${port}`, limitMs);

function findSlapd(): string {
  for (const path of ['/usr/sbin/slapd', '/usr/local/sbin/slapd']) if (existsSync(path)) return path;
  throw new Error('slapd not found: install it (apt-get install slapd ldap-utils) to run npm run test:services');
}

function slapdConf(dir: string, adminPassword: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile ${dir}/cert.pem
TLSCertificateKeyFile ${dir}/key.pem
database mdb
maxsize 268435456
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${adminPassword}
directory ${dir}/db
index objectClass eq
index uid,cn,member,uniqueMember eq
limits * size=200 size.pr=unlimited size.prtotal=unlimited
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`;
}

function ldif(users: DirectoryUser[], groups: DirectoryGroup[], servicePassword: string): string {
  const out = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: outpost\no: outpost test\n`,
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: outpost\n` +
      `userPassword: ${servicePassword}\n`,
  ];
  for (const u of users) {
    const extra = Object.entries(u.attributes ?? {}).map(([k, v]) => `${k}: ${v}\n`);
    out.push(
      `dn: ${userDn(u.uid)}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.cn ?? u.uid}\nsn: ${u.uid}\n` +
        `${u.mail ? `mail: ${u.mail}\n` : ''}userPassword: ${u.password}\n${extra.join('')}`,
    );
  }
  for (const g of groups) {
    out.push(
      `dn: ${groupDn(g.cn)}\nobjectClass: groupOfNames\ncn: ${g.cn}\n${g.members.map((m) => `member: ${m}\n`).join('')}`,
    );
  }
  return out.join('\n');
}

export async function startSlapd(entries: { users: DirectoryUser[]; groups: DirectoryGroup[] }): Promise<TestSlapd> {
  const slapd = findSlapd();
  const temp: TempDir = await createTempDir('outpost-slapd-');
  const dir = temp.path;
  const adminPassword = 'admin-secret';
  const servicePassword = 'service-secret';
  mkdirSync(join(dir, 'db'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'].concat(
      ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ),
    { stdio: 'pipe' },
  );
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, slapdConf(dir, adminPassword));
  writeFileSync(join(dir, 'init.ldif'), ldif(entries.users, entries.groups, servicePassword));
  execFileSync('/usr/sbin/slapadd', ['-q', '-f', conf, '-l', join(dir, 'init.ldif')], { stdio: 'pipe' });
  const port = await freePort();
  const ldapsPort = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    // -d 0: stay in the foreground (the test owns the process), log nothing.
    const proc = spawn(slapd, ['-d', '0', '-f', conf, '-h', `${url}/ ${ldapsUrl}/`], { stdio: 'ignore' });
    child = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`slapd exited with ${code} (config ${conf})`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(port, 10_000), exited]);
    await Promise.race([waitForPort(ldapsPort, 10_000), exited]);
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await gone;
  }

  await start();
  return {
    url,
    ldapsUrl,
    caPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    adminPassword,
    servicePassword,
    async admin() {
      const client = new Client({ url, connectTimeout: 5_000, timeout: 10_000 });
      await client.bind(ADMIN_DN, adminPassword);
      return client;
    },
    stop,
    start,
    async remove() {
      await stop();
      await temp.remove();
    },
  };
}

/** The `ldap` settings patch pointing outpost at `slapd` (search-then-bind as the service account). */
export function outpostLdapSettings(
  slapd: TestSlapd,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    enabled: true,
    url: slapd.url,
    bindDn: SERVICE_DN,
    bindPassword: slapd.servicePassword,
    userSearchBase: PEOPLE_DN,
    userFilter: '(&(objectClass=inetOrgPerson)(uid={username}))',
    usernameAttribute: 'uid',
    emailAttribute: 'mail',
    fullNameAttribute: 'cn',
    disabledFilter: '(employeeType=disabled)',
    ...overrides,
  };
}
