/**
 * The offline commands against a data directory that a running main (the built CLI, with
 * authentication on) is serving: a key rotated by `outpost main keys rotate` is used for the
 * next token while earlier tokens keep working, and user changes take effect at once.
 * Run `npm run build` first: main and the commands run from dist/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { decodeProtectedHeader } from 'jose';
import { OUTPOST_BIN, spawnMain, type SpawnedMain } from '../helpers/servers.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { backendArgs, prepareTestBackend, type TestBackend } from '../helpers/test-backend.js';
import {
  basicAuth,
  bearer,
  getToken,
  postToken,
  pushImageAs,
  TEST_ADMIN_PASSWORD,
  tokenFor,
} from '../helpers/auth-http.js';

let data: TempDir;
let backend: TestBackend;
let main: SpawnedMain;
const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/bin/outpost.js main <args> --data <dir>` (on the project's backend) with `stdin` piped in. */
function outpost(args: string[], stdin = ''): Promise<CliResult> {
  const argv = [OUTPOST_BIN, 'main', ...args, '--data', data.path, ...backendArgs(backend)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const jwksKids = async () =>
  ((await (await fetch(`${main.url}/auth/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
    (k) => k.kid,
  );
const v2 = (authorization: string, path = '/v2/') =>
  fetch(`${main.url}${path}`, { headers: { Authorization: authorization } });

beforeAll(async () => {
  data = await createTempDir('outpost-cli-running-');
  backend = await prepareTestBackend(data.path);
  // Keys sign as soon as they are rotated in here; the pre-publication period (default 60 s) has
  // its own test (test/security/14-key-rotation-keeps-edges-verifying.test.ts).
  main = await spawnMain(data.path, [], {
    OUTPOST_MAIN_AUTH__ENABLED: 'true',
    OUTPOST_MAIN_AUTH__KEY_PRE_PUBLICATION: '0s',
  });
});
afterAll(async () => {
  main?.child.kill('SIGTERM');
  await main?.exited;
  await backend?.remove();
  await data.remove();
});

describe('outpost main keys rotate while main runs', () => {
  it('keeps earlier tokens working, signs new tokens with the new kid, and publishes both keys', async () => {
    await pushImageAs(main.url, 'admin/app', 'v1', ADMIN);
    const before = await tokenFor(main.url, ADMIN, ['repository:admin/app:pull']);
    const oldKid = decodeProtectedHeader(before).kid!;
    expect(await jwksKids()).toEqual([oldKid]);

    const rotated = await outpost(['keys', 'rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKid = rotated.stdout.trim();
    expect(newKid).not.toBe(oldKid);

    const after = await tokenFor(main.url, ADMIN, ['repository:admin/app:pull']);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    expect(await jwksKids()).toEqual([oldKid, newKid]);
    for (const token of [before, after]) {
      expect((await v2(bearer(token), '/v2/admin/app/tags/list')).status).toBe(200);
    }
    // The rotation is in the audit log that main serves, from the command's own process.
    const res = await fetch(`${main.url}/api/v0/events?type=admin.keys`, { headers: { Authorization: ADMIN } });
    const { events } = (await res.json()) as { events: Array<{ actor: string; target: string; outcome: string }> };
    expect(events[0]).toMatchObject({ actor: expect.stringMatching(/^cli/), target: newKid, outcome: 'success' });
  });
});

describe('outpost main user while main runs', () => {
  it('adds a user who can sign in at once', async () => {
    const added = await outpost(['user', 'add', 'erin', '--password-stdin'], 'erin-first-pw\n');
    expect(added).toMatchObject({ code: 0, stdout: 'created user "erin"\n' });
    expect((await v2(basicAuth('erin', 'erin-first-pw'))).status).toBe(200);
    const listed = await outpost(['user', 'list']);
    expect(listed.stdout).toMatch(/^erin +no +yes/m);
    // In the audit log main serves, never with the password.
    const res = await fetch(`${main.url}/api/v0/events?type=admin.users`, { headers: { Authorization: ADMIN } });
    const text = await res.text();
    expect(JSON.parse(text).events[0]).toMatchObject({ actor: expect.stringMatching(/^cli/), target: 'erin' });
    expect(text).not.toContain('erin-first-pw');
  });

  it('records content cache changes and join token creation, never the token', async () => {
    expect((await outpost(['cache', 'add', 'sg', '--host', 'http://127.0.0.1:9'])).code).toBe(0);
    const created = await outpost(['cache', 'token', 'create']);
    expect(created.code, created.stderr).toBe(0);
    const res = await fetch(`${main.url}/api/v0/events?type=admin.caches`, { headers: { Authorization: ADMIN } });
    const text = await res.text();
    expect(
      JSON.parse(text).events.map((e: { target: string; detail: { action: string } }) => [e.detail.action, e.target]),
    ).toEqual([
      ['token', ''],
      ['add', 'sg'],
    ]);
    expect(text).not.toContain(created.stdout.trim());
  });

  it('changes a password: the old one, already remembered by main, stops working at once', async () => {
    expect((await v2(basicAuth('erin', 'erin-first-pw'))).status).toBe(200);
    const changed = await outpost(['user', 'passwd', 'erin', '--password-stdin'], 'erin-second-pw\n');
    expect(changed.code, changed.stderr).toBe(0);
    expect((await v2(basicAuth('erin', 'erin-first-pw'))).status).toBe(401);
    expect((await v2(basicAuth('erin', 'erin-second-pw'))).status).toBe(200);
  });

  it("removes a user: the user's tokens and refresh tokens stop working at once", async () => {
    const res = await getToken(main.url, { authorization: basicAuth('erin', 'erin-second-pw'), offline: true });
    const { token, refresh_token } = (await res.json()) as { token: string; refresh_token: string };
    expect((await v2(bearer(token))).status).toBe(200);
    const removed = await outpost(['user', 'remove', 'erin']);
    expect(removed).toMatchObject({ code: 0, stdout: 'removed user "erin"\n' });
    expect((await v2(bearer(token))).status).toBe(401);
    expect((await v2(basicAuth('erin', 'erin-second-pw'))).status).toBe(401);
    expect((await postToken(main.url, { grant_type: 'refresh_token', refresh_token })).status).toBe(401);
  });

  it('reports bad input with exit 2 and unknown users with exit 1, main unaffected', async () => {
    expect((await outpost(['user', 'add', 'frank', '--password-stdin'], 'short\n')).code).toBe(2);
    expect((await outpost(['user', 'add', 'frank'])).code).toBe(2);
    expect((await outpost(['user', 'passwd', 'nobody', '--password-stdin'], 'long-enough-pw\n')).code).toBe(1);
    expect((await v2(ADMIN)).status).toBe(200);
  });

  it('never wrote a password or token to the log of main', () => {
    for (const secret of ['erin-first-pw', 'erin-second-pw', TEST_ADMIN_PASSWORD, 'long-enough-pw'])
      expect(main.logs()).not.toContain(secret);
    expect(main.logs()).not.toContain('eyJ');
  });
});
