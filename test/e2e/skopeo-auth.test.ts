/**
 * skopeo 1.9 against main with authentication on, through the Docker token flow (challenge on
 * /v2/, Basic credentials to /auth/token, bearer tokens after): the owner pushes to their
 * namespace and an organization they administer, a team reader pulls, a stranger is denied,
 * and an anonymous client pulls a public repository (and nothing else).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { configBlob, imageManifest, randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { writeOciLayout } from '../helpers/oci-fixtures.js';

const PASSWORDS = { olivia: 'olivia-password', rita: 'rita-password', sam: 'sam-password' } as const;
type User = keyof typeof PASSWORDS;

let main: TestMain;
let temp: TempDir;
let host: string;
let layout: string;
let layer: Blob;
let authFile: string;

interface SkopeoResult {
  code: number | null;
  output: string;
}

/** Runs skopeo with an empty auth file (so nothing from the machine is used), within 2 minutes. */
function skopeo(args: string[]): Promise<SkopeoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', ['--insecure-policy', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REGISTRY_AUTH_FILE: authFile },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const creds = (user: User) => `${user}:${PASSWORDS[user]}`;

function push(user: User, repo: string): Promise<SkopeoResult> {
  return skopeo([
    'copy',
    '--preserve-digests',
    '--dest-tls-verify=false',
    '--dest-creds',
    creds(user),
    `oci:${layout}:v1`,
    `docker://${host}/${repo}:v1`,
  ]);
}

/** Pulls into a fresh OCI layout; `user` undefined pulls anonymously. */
async function pull(user: User | undefined, repo: string): Promise<SkopeoResult & { dir: string }> {
  const dir = join(temp.path, `pulled-${user ?? 'anonymous'}-${repo.replace('/', '-')}-${Date.now()}`);
  const auth = user ? ['--src-creds', creds(user)] : ['--src-no-creds'];
  const result = await skopeo([
    'copy',
    '--preserve-digests',
    '--src-tls-verify=false',
    ...auth,
    `docker://${host}/${repo}:v1`,
    `oci:${dir}:v1`,
  ]);
  return { ...result, dir };
}

async function expectPulled(result: SkopeoResult & { dir: string }): Promise<void> {
  expect(result.code, result.output).toBe(0);
  const blob = join(result.dir, 'blobs', 'sha256', layer.digest.slice('sha256:'.length));
  expect((await stat(blob)).size).toBe(layer.size);
  expect((await readFile(blob)).equals(layer.bytes)).toBe(true);
}

function expectDenied(result: SkopeoResult): void {
  expect(result.code, result.output).not.toBe(0);
  expect(result.output).toMatch(/denied|unauthorized|authentication required/i);
}

beforeAll(async () => {
  temp = await createTempDir('outpost-e2e-auth-');
  authFile = join(temp.path, 'auth.json');
  await writeFile(authFile, '{}');
  main = await startTestMain({ auth: true });
  host = new URL(main.url).host;
  const { accounts } = main.service;
  for (const [name, password] of Object.entries(PASSWORDS)) await accounts.createUser({ name, password });
  // acme: olivia administers it; rita is in the "readers" team, which may read acme/app.
  await accounts.createOrg({ name: 'acme' });
  await accounts.setOrgMember('acme', 'olivia', true);
  await accounts.createTeam('acme', 'readers');
  await accounts.addTeamMember('acme', 'readers', 'rita');
  await accounts.setTeamAccess('acme', 'readers', 'acme/app', 'read');

  // Uncompressed layer media type: skopeo pushes the bytes as they are (--preserve-digests).
  layer = randomBlob(256 * 1024, 'application/vnd.oci.image.layer.v1.tar');
  const manifest = imageManifest({ layers: [layer], config: configBlob() });
  layout = join(temp.path, 'source');
  await writeOciLayout(layout, 'v1', { blobs: [manifest.config, layer], manifests: [manifest], top: manifest });
});
afterAll(async () => {
  await main?.stop();
  await temp.remove();
});

describe('skopeo with credentials against main', () => {
  it('the owner pushes to their own namespace and pulls it back', async () => {
    const pushed = await push('olivia', 'olivia/app');
    expect(pushed.code, pushed.output).toBe(0);
    await expectPulled(await pull('olivia', 'olivia/app'));
  });

  it('an organization admin pushes to the organization', async () => {
    const pushed = await push('olivia', 'acme/app');
    expect(pushed.code, pushed.output).toBe(0);
  });

  it('a team member with read access pulls, but may not push', async () => {
    await expectPulled(await pull('rita', 'acme/app'));
    expectDenied(await push('rita', 'acme/app'));
  });

  it('a stranger is denied pull and push, in the namespace and in the organization', async () => {
    expectDenied(await pull('sam', 'olivia/app'));
    expectDenied(await pull('sam', 'acme/app'));
    expectDenied(await push('sam', 'olivia/app'));
    expectDenied(await push('sam', 'acme/other'));
  });

  it('a wrong password is refused', async () => {
    const result = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      'olivia:not-her-password',
      `docker://${host}/olivia/app:v1`,
    ]);
    expectDenied(result);
  });
});

describe('skopeo without credentials', () => {
  it('pulls a public repository anonymously', async () => {
    await main.service.registryMetadata.updateRepository('olivia/app', { visibility: 'public' }, 'admin', Date.now());
    await expectPulled(await pull(undefined, 'olivia/app'));
  });

  it('may not pull a private repository or push anywhere', async () => {
    expectDenied(await pull(undefined, 'acme/app'));
    const pushed = await skopeo([
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      '--dest-no-creds',
      `oci:${layout}:v1`,
      `docker://${host}/olivia/app:v2`,
    ]);
    expectDenied(pushed);
  });

  it('a stranger pulls the public repository too', async () => {
    await expectPulled(await pull('sam', 'olivia/app'));
  });
});
